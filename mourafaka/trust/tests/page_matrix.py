"""Who may open which page, for the authorization sweep (test_page_sweep.py).

For every URL name of the HTML side of the site, `MATRIX` holds a `Page`:

* `ok`: the personas that open the page on the in-scope record (200, or a redirect that is not to the
  login page; for a POST-only view their GET must answer 405, and no POST of theirs is ever sent);
* `f403`: the personas refused with 403 on that record; every other signed-in persona gets `deny`
  (404, the record does not exist for them; "403" for pages that are not about one record);
* `msg`: POST-only views that read their form before the rule: an empty POST by these personas only
  comes back (redirect) with a message, which is all an empty body can show;
* `anon`: what an anonymous visitor gets ("login": a redirect to the login page);
* `post`: the view answers POST only (refusals are checked by POSTing an empty body);
* `record`: the key in `RECORDS` that builds the URL's kwargs for the in-scope record and for the
  out-of-scope one. On the out-of-scope record everyone but head office (and `out_ok`) must get 403
  or 404; `office_out` says what head office gets there when it differs.

The in-scope record belongs to the demo's SAF-2022-0088 (province of Safi, delegation SAF): the
cooperative of the `cooperative` persona, coached by `coach`, diagnosed by `consultant`. The
out-of-scope record belongs to BER-2022-0203 (Berrechid, region 06: nobody but head office follows it),
made in the test when the demo has none. Training records: a session in Safi run by `trainer` / one in
Rabat by a trainer without an account; providers: the coach's / the consultant's and trainer's.
"""

from dataclasses import dataclass

from django.core.files.base import ContentFile

# ---------------------------------------------------------------------------------------------------
# Personas and groups

PERSONAS = (
    "admin",
    "manager",
    "delegate.safi",
    "delegate.guelmim",
    "consultant",
    "trainer",
    "coach",
    "cooperative",
    "juror",
    "mentor",
    "observer",
)
ANON = "anonymous"
OFFICE = frozenset({"admin", "manager"})
SAFI = OFFICE | {"delegate.safi"}
DELEGATES = frozenset({"delegate.safi", "delegate.guelmim"})
STAFF = OFFICE | DELEGATES
FIELD = frozenset({"consultant", "trainer", "coach"})
ALL = frozenset(PERSONAS)
#: Roles that must never read a record outside their scope (the issue's "done when").
RESTRICTED = ALL - OFFICE
#: Who reads SAF-2022-0088's records: head office, its delegate, its consultant, its coach, itself.
SAF_READERS = SAFI | {"consultant", "coach", "cooperative"}
#: SAF-2022-0088's readers who may not change the record at hand (403, not 404).
SAF_FIELD = frozenset({"consultant", "coach", "cooperative"})


@dataclass(frozen=True)
class Page:
    ok: frozenset = frozenset()
    f403: frozenset = frozenset()
    #: Personas whose empty POST is sent back to the page with a message (the form is checked before the
    #: permission, so an empty body cannot show the refusal): a redirect that is not to the login page.
    msg: frozenset = frozenset()
    deny: str = "404"
    anon: str = "login"
    post: bool = False
    record: str | None = None
    #: Personas besides head office that legitimately open the out-of-scope record.
    out_ok: frozenset = frozenset()
    #: What head office gets on the out-of-scope record when it differs from the in-scope one.
    office_out: str | None = None
    #: False for a page that shows one person's name to whoever holds its secret code (certificate check).
    observer_check: bool = True

    def expected(self, persona: str, scope: str = "in") -> str:
        if persona == ANON:
            return self.anon
        if scope == "out" and persona in OFFICE and self.office_out:
            return self.office_out
        if scope == "out" and persona not in OFFICE and persona not in self.out_ok:
            return "refused"  # 403 or 404, whatever the in-scope answer
        if persona in self.ok:
            return "ok"
        if persona in self.msg:
            return "msg"
        if persona in self.f403:
            return "403"
        return self.deny


def P(ok=(), f403=(), msg=(), out_ok=(), **options) -> Page:  # noqa: N802 (reads as a table)
    return Page(
        ok=frozenset(ok), f403=frozenset(f403), msg=frozenset(msg), out_ok=frozenset(out_ok), **options
    )


# ---------------------------------------------------------------------------------------------------
# Records: URL kwargs for the in-scope and the out-of-scope record


IN_COOP = "SAF-2022-0088"
OUT_COOP = "BER-2022-0203"


def clone(obj, **changes):
    """A copy of a demo record with some fields changed (saved)."""
    obj.pk = None
    obj.id = None
    obj._state.adding = True
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.save()
    return obj


class World:
    """Finds (and, where the demo has none, makes) the records the sweep's URLs point at. Made once
    per test, inside its transaction."""

    def __init__(self):
        self._cache: dict = {}
        self._files: list = []

    def save_file(self, field_file, name: str = "sweep.pdf", content: bytes = b"%PDF-1.4 sweep") -> None:
        """Store a small file for a record made here (removed again by `cleanup`)."""
        field_file.save(name, ContentFile(content), save=False)
        self._files.append((field_file.storage, field_file.name))

    def cleanup(self) -> None:
        for storage, name in self._files:
            storage.delete(name)

    def once(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # -- users, cooperatives, members ------------------------------------------------------------
    def user(self, key):
        from mourafaka.accounts.models import User

        return self.once(("user", key), lambda: User.objects.get(email=f"{key}@demo.mourafaka.ma"))

    def coop(self, number):
        from mourafaka.cooperatives.models import Cooperative

        return self.once(("coop", number), lambda: Cooperative.objects.get(registration_number=number))

    def member(self, number):
        from mourafaka.cooperatives.models import Member

        return self.once(
            ("member", number), lambda: Member.objects.filter(cooperative=self.coop(number)).order_by("pk")[0]
        )

    def document(self, number):
        from mourafaka.cooperatives.models import CooperativeDocument

        def make():
            document = CooperativeDocument.objects.filter(cooperative=self.coop(IN_COOP)).first()
            return self._with_file(document, cooperative=self.coop(number))

        return self.once(("document", number), make)

    def _with_file(self, template, **changes):
        template.pk = None
        template.id = None
        template._state.adding = True
        for name, value in changes.items():
            setattr(template, name, value)
        self.save_file(template.file)
        template.save()
        return template

    def duplicate(self, which):
        from mourafaka.cooperatives.models import DuplicateCandidate

        # The demo's pair in SAF-2021-0120 (delegation SAF) and the one in Marrakech (delegation R07).
        number = "SAF-2021-0120" if which == "in" else "MAR-2021-0877"
        return DuplicateCandidate.objects.filter(member_a__cooperative__registration_number=number).first()

    def import_run(self):
        from mourafaka.core.models import ImportRun

        def make():
            run = ImportRun(kind="cooperatives", owner=self.user("manager"), original_name="sweep.csv")
            self.save_file(run.file, "sweep.csv", b"a,b\n")
            self.save_file(run.refused_file, "sweep-refused.csv", b"a,b\n")
            run.save()
            return run

        return self.once("import_run", make)

    def job(self):
        from mourafaka.core.models import Job

        def make():
            job = Job(kind="sweep", label="sweep", owner=self.user("manager"), status="done")
            self.save_file(job.result_file, "sweep.csv", b"a,b\n")
            job.save()
            return job

        return self.once("job", make)

    # -- programmes and calls --------------------------------------------------------------------
    def enrolment(self, number):
        from mourafaka.programmes.models import Enrolment

        return self.once(
            ("enrolment", number),
            lambda: Enrolment.objects.get(cooperative=self.coop(number), edition__code="tranche-4"),
        )

    def edition(self):
        from mourafaka.programmes.models import Edition

        return self.once("edition", lambda: Edition.objects.get(code="tranche-4"))

    def call(self):
        return self.ranking().call

    def ranking(self):
        from mourafaka.calls.models import RankingVersion

        return self.once("ranking", lambda: RankingVersion.objects.order_by("pk").first())

    def application(self, number):
        from mourafaka.calls.models import Application

        return self.once(
            ("application", number),
            lambda: Application.objects.filter(cooperative=self.coop(number), call=self.call()).first(),
        )

    def appeal(self, number):
        from mourafaka.calls.models import Appeal

        def make():
            return Appeal.objects.create(
                application=self.application(number),
                ranking=self.ranking(),
                reason="Sweep",
                submitted_by=self.user("manager"),
            )

        return self.once(("appeal", number), make)

    # -- diagnostics -----------------------------------------------------------------------------
    def diagnostic(self, number):
        from mourafaka.diagnostics.models import Diagnostic

        def make():
            if number == IN_COOP:
                return Diagnostic.objects.get(enrolment=self.enrolment(IN_COOP))
            # A validated diagnostic of BER-2022-0203 by another consultant, with plans.
            source = Diagnostic.objects.get(enrolment=self.enrolment(IN_COOP))
            items = list(source.capacity_items.all()) if hasattr(source, "capacity_items") else []
            objectives = list(source.objectives.all()) if hasattr(source, "objectives") else []
            consultant = self.user("consultant.safi") if self._has_user("consultant.safi") else None
            copy = clone(source, enrolment=self.enrolment(OUT_COOP), consultant=consultant)
            for item in items:
                clone(item, diagnostic=copy)
            for objective in objectives:
                actions = list(objective.actions.all())
                new = clone(objective, diagnostic=copy)
                for action in actions:
                    clone(action, objective=new)
            return copy

        return self.once(("diagnostic", number), make)

    def _has_user(self, key):
        from mourafaka.accounts.models import User

        return User.objects.filter(email=f"{key}@demo.mourafaka.ma").exists()

    def plan_item(self, number):
        from mourafaka.diagnostics.models import CapacityPlanItem

        return CapacityPlanItem.objects.filter(diagnostic=self.diagnostic(number)).order_by("pk").first()

    def objective(self, number):
        from mourafaka.diagnostics.models import DevelopmentObjective

        return DevelopmentObjective.objects.filter(diagnostic=self.diagnostic(number)).order_by("pk").first()

    def action(self, number):
        from mourafaka.diagnostics.models import DevelopmentAction

        return (
            DevelopmentAction.objects.filter(objective__diagnostic=self.diagnostic(number))
            .order_by("pk")
            .first()
        )

    def diagnostic_attachment(self, number):
        from mourafaka.diagnostics.models import DiagnosticAttachment

        def make():
            attachment = DiagnosticAttachment(
                diagnostic=self.diagnostic(number),
                original_name="sweep.pdf",
                content_type="application/pdf",
                size=14,
                uploaded_by=self.user("consultant"),
            )
            self.save_file(attachment.file)
            attachment.save()
            return attachment

        return self.once(("diagnostic_attachment", number), make)

    def template(self):
        from mourafaka.diagnostics.models import Template

        return self.once("template", lambda: Template.objects.order_by("pk").first())

    # -- trainings -------------------------------------------------------------------------------
    def session(self, which):
        from mourafaka.trainings.models import Session

        def make():
            if which == "in":  # held in Safi, run by the demo trainer, SAF-2022-0088's members invited
                return Session.objects.filter(
                    trainers__user__email="trainer@demo.mourafaka.ma",
                    registrations__member__cooperative__registration_number=IN_COOP,
                    days__isnull=False,
                ).order_by("pk")[0]
            # Held in Rabat by a trainer without an account: head office only.
            return Session.objects.filter(province__region__code="04").order_by("pk")[0]

        return self.once(("session", which), make)

    def day(self, which):
        return self.session(which).days.order_by("pk").first()

    def registration(self, which):
        session = self.session(which)
        registrations = session.registrations.order_by("pk")
        if which == "in":
            registrations = registrations.filter(member__cooperative__registration_number=IN_COOP)
        return registrations.first()

    def certificate(self, which):
        from mourafaka.trainings.models import Certificate

        return Certificate.objects.filter(registration__session=self.session(which)).order_by("pk").first()

    def trainer(self, which):
        from mourafaka.trainings.models import Trainer

        if which == "in":
            return Trainer.objects.get(user__email="trainer@demo.mourafaka.ma")
        # A trainer covering regions 05 and 08 only: no demo delegate follows them.
        return Trainer.objects.filter(user__isnull=True).exclude(regions__code__in=["06", "07", "10"])[0]

    def module(self):
        from mourafaka.trainings.models import Module

        return self.once("module", lambda: Module.objects.order_by("pk").first())

    # -- coaching --------------------------------------------------------------------------------
    def engagement(self, number):
        from mourafaka.coaching.models import Engagement

        def make():
            if number == IN_COOP:
                return Engagement.objects.filter(enrolment=self.enrolment(IN_COOP)).order_by("pk").first()
            source = Engagement.objects.filter(enrolment=self.enrolment(IN_COOP)).order_by("pk").first()
            return clone(source, enrolment=self.enrolment(OUT_COOP))

        return self.once(("engagement", number), make)

    def visit(self, number):
        from mourafaka.coaching.models import Visit

        def make():
            source = Visit.objects.filter(engagement=self.engagement(IN_COOP)).order_by("pk").first()
            if number == IN_COOP:
                return source
            return clone(source, engagement=self.engagement(OUT_COOP))

        return self.once(("visit", number), make)

    def visit_attachment(self, number):
        from mourafaka.coaching.models import VisitAttachment

        def make():
            attachment = VisitAttachment(
                visit=self.visit(number),
                original_name="sweep.pdf",
                content_type="application/pdf",
                size=14,
                uploaded_by=self.user("coach"),
            )
            self.save_file(attachment.file)
            attachment.save()
            return attachment

        return self.once(("visit_attachment", number), make)

    def provider(self, which):
        from mourafaka.coaching.models import ProviderStaff

        email = "coach@demo.mourafaka.ma" if which == "in" else "consultant@demo.mourafaka.ma"
        return ProviderStaff.objects.get(user__email=email).provider

    def contract(self, which):
        return self.provider(which).contracts.order_by("pk").first()

    # -- financing -------------------------------------------------------------------------------
    def round(self):
        from mourafaka.financing.models import Allocation

        return self.allocation().round if Allocation.objects.exists() else None

    def allocation(self):
        from mourafaka.financing.models import Allocation

        return self.once("allocation", lambda: Allocation.objects.order_by("pk").first())

    def proposal(self, number):
        from mourafaka.financing.models import Proposal

        return self.once(
            ("proposal", number),
            lambda: (
                Proposal.objects.filter(application__cooperative=self.coop(number)).order_by("pk").first()
            ),
        )

    def proposal_document(self, number):
        from mourafaka.calls.models import ApplicationDocument

        return ApplicationDocument.objects.filter(application=self.proposal(number).application).first()

    def override(self, number):
        from mourafaka.financing.models import AllocationOverride

        def make():
            return AllocationOverride.objects.create(
                round=self.round(),
                proposal=self.proposal(number),
                decision=AllocationOverride.Decision.values[0],
                reason="Sweep",
                decided_by=self.user("manager"),
            )

        return self.once(("override", number), make)

    def agreement(self, number):
        from mourafaka.financing.models import Agreement

        def make():
            source = Agreement.objects.get(proposal=self.proposal(IN_COOP))
            if number == IN_COOP:
                return source
            tranches = list(source.tranches.order_by("pk"))
            milestones = list(source.milestones.order_by("pk")) if hasattr(source, "milestones") else []
            documents = list(source.documents.order_by("pk"))
            copy = clone(source, proposal=self.proposal(OUT_COOP), reference="SWEEP-OUT-1")
            for tranche in tranches:
                conditions = list(tranche.conditions.order_by("pk")) if hasattr(tranche, "conditions") else []
                new = clone(tranche, agreement=copy)
                for condition in conditions:
                    clone(condition, tranche=new)
            for milestone in milestones:
                clone(milestone, agreement=copy)
            for document in documents[:1]:
                self._with_file(document, agreement=copy, milestone=None, follow_up=None)
            return copy

        return self.once(("agreement", number), make)

    def tranche(self, number):
        return self.agreement(number).tranches.order_by("pk").first()

    def condition(self, number):
        from mourafaka.financing.models import TrancheCondition

        return (
            TrancheCondition.objects.filter(tranche__agreement=self.agreement(number)).order_by("pk").first()
        )

    def milestone(self, number):
        from mourafaka.financing.models import Milestone

        return Milestone.objects.filter(agreement=self.agreement(number)).order_by("pk").first()

    def agreement_document(self, number):
        from mourafaka.financing.models import AgreementDocument

        return AgreementDocument.objects.filter(agreement=self.agreement(number)).order_by("pk").first()


def _coop_kwargs(getter, key="pk"):
    """kwargs builder for a record keyed on a cooperative's registration number."""

    def build(world, scope):
        number = IN_COOP if scope == "in" else OUT_COOP
        return {key: getter(world, number).pk}

    return build


def _which_kwargs(getter, key="pk"):
    def build(world, scope):
        return {key: getter(world, scope).pk}

    return build


def _shared(getter, key="pk", **extra):
    """A record every role shares (call, round, template…): no out-of-scope variant."""

    def build(world, scope):
        if scope == "out":
            return None
        return {key: getter(world).pk, **extra}

    return build


def _diag_sub(sub_getter, sub_key):
    def build(world, scope):
        number = IN_COOP if scope == "in" else OUT_COOP
        return {"pk": world.diagnostic(number).pk, sub_key: sub_getter(world, number).pk}

    return build


def _session_sub(*subs):
    def build(world, scope):
        kwargs = {"pk": world.session(scope).pk}
        for key in subs:
            kwargs[f"{key}_pk"] = getattr(world, key)(scope).pk
        return kwargs

    return build


#: URL kwargs builders: name → function(world, "in" | "out") → kwargs (None: no such variant).
RECORDS = {
    "cooperative": _coop_kwargs(World.coop),
    "cooperative_fk": _coop_kwargs(World.coop, "cooperative_pk"),
    "member": _coop_kwargs(World.member),
    "document": _coop_kwargs(World.document),
    "duplicate": _which_kwargs(World.duplicate),
    "import_run": _shared(World.import_run),
    "import_template": lambda world, scope: (
        {"kind": "cooperatives", "file_format": "csv"} if scope == "in" else None
    ),
    "job": _shared(World.job),
    "edition": _shared(World.edition),
    "call": _shared(World.call),
    "call_action": _shared(World.call, action="eligibility"),
    "application": _coop_kwargs(World.application),
    "appeal": _coop_kwargs(World.appeal),
    "ranking": _shared(World.ranking),
    "ranking_minutes": _shared(World.ranking, fmt="pdf"),
    "ranking_action": _shared(World.ranking, action="freeze"),
    "enrolment": _coop_kwargs(World.enrolment),
    "enrolment_fk": _coop_kwargs(World.enrolment, "enrolment_pk"),
    "diagnostic": _coop_kwargs(World.diagnostic),
    "diagnostic_report": lambda world, scope: {
        "pk": world.diagnostic(IN_COOP if scope == "in" else OUT_COOP).pk,
        "language": "fr",
    },
    "diagnostic_answer": lambda world, scope: {
        "pk": world.diagnostic(IN_COOP if scope == "in" else OUT_COOP).pk,
        "question_pk": world.diagnostic(IN_COOP).answers.order_by("pk").first().question_id,
    },
    "diagnostic_attachment": _coop_kwargs(World.diagnostic_attachment),
    "plan_item": _diag_sub(World.plan_item, "item_pk"),
    "plan_objective": _diag_sub(World.objective, "objective_pk"),
    "plan_action": _diag_sub(World.action, "action_pk"),
    "template": _shared(World.template),
    "module": _shared(World.module),
    "trainer": _which_kwargs(World.trainer),
    "session": _which_kwargs(World.session),
    "session_registration": _session_sub("registration"),
    "session_day": _session_sub("day"),
    "session_day_registration": _session_sub("day", "registration"),
    "registration": _which_kwargs(World.registration, "registration_pk"),
    "certificate": _which_kwargs(World.certificate),
    "certificate_code": lambda world, scope: {"code": world.certificate(scope).code},
    "engagement": _coop_kwargs(World.engagement),
    "visit": _coop_kwargs(World.visit),
    "visit_fk": _coop_kwargs(World.visit, "visit_pk"),
    "visit_attachment": _coop_kwargs(World.visit_attachment),
    "provider": _which_kwargs(World.provider),
    "contract": _which_kwargs(World.contract),
    "round": _shared(World.round),
    "allocation": _shared(World.allocation),
    "proposal": _coop_kwargs(World.proposal),
    "proposal_document": _coop_kwargs(World.proposal_document),
    "override": _coop_kwargs(World.override),
    "agreement": _coop_kwargs(World.agreement),
    "tranche": _coop_kwargs(World.tranche),
    "condition": _coop_kwargs(World.condition),
    "milestone": _coop_kwargs(World.milestone),
    "agreement_document": _coop_kwargs(World.agreement_document),
}


# ---------------------------------------------------------------------------------------------------
# The matrix. Groups: OFFICE (admin, manager), SAFI (+ delegate.safi), STAFF (+ both delegates),
# SAF_READERS (SAFI + consultant, coach, cooperative of SAF-2022-0088), SAF_FIELD (its consultant,
# coach and cooperative). A persona not named gets `deny` (404 unless said otherwise).

PUBLIC = {"anon": "ok"}
POST = {"post": True}
D403 = {"deny": "403"}
CONSULTANT_ONLY = {"ok": {"consultant"}, "f403": SAFI | {"coach", "cooperative"}}
SAFI_ORGANISES = {"ok": SAFI, "f403": SAF_FIELD}
FOLLOW_UP = {"ok": SAFI | {"coach", "cooperative"}, "f403": {"consultant"}}
OFFICE_DECIDES = {"ok": OFFICE, "f403": {"delegate.safi"} | SAF_FIELD}
RUNS_SESSION = {"ok": SAFI | {"trainer"}}
PLANS_SESSION = {"ok": SAFI, "f403": {"trainer"}}
PROVIDERS = {"ok": STAFF, "deny": "403", "out_ok": DELEGATES}

MATRIX: dict[str, Page] = {
    # -- site ------------------------------------------------------------------------------------
    "home": P(ALL, **PUBLIC),
    "healthz": P(ALL, **PUBLIC),
    "set_language": P(ALL, anon="405", **POST),
    "statistics": P(STAFF | {"observer"}, **D403),  # aggregates only (checked: no personal data)
    "notifications": P(ALL),
    "my_account": P(ALL),
    "renew_api_token": P(ALL, **POST),
    "account_login": P(ALL, **PUBLIC),
    "jobs:list": P(ALL),  # one's own jobs
    "jobs:detail": P({"manager"}, record="job"),  # the job is the manager's: nobody else's
    "jobs:download": P({"manager"}, record="job"),
    # -- registry --------------------------------------------------------------------------------
    "cooperatives:list": P(ALL),  # scoped lists (checked: nothing out of scope is listed)
    "cooperatives:create": P(STAFF, **D403),
    "cooperatives:export": P(ALL, **POST),
    "cooperatives:export_csv": P(ALL),
    "cooperatives:imports:list": P(STAFF, **D403),
    "cooperatives:imports:detail": P({"manager"}, record="import_run"),
    "cooperatives:imports:commit": P({"manager"}, record="import_run", **POST),
    "cooperatives:imports:refused": P({"manager"}, record="import_run"),
    "cooperatives:imports:template": P(STAFF, record="import_template", **D403),
    "cooperatives:duplicates:list": P(STAFF, **D403),
    "cooperatives:duplicates:scan": P(STAFF, **D403, **POST),
    "cooperatives:duplicates:merge": P(SAFI, record="duplicate", **POST),
    "cooperatives:duplicates:dismiss": P(SAFI, record="duplicate", **POST),
    "cooperatives:detail": P(SAF_READERS, record="cooperative"),
    "cooperatives:edit": P(SAFI | {"cooperative"}, {"consultant", "coach"}, record="cooperative"),
    "cooperatives:members:list": P(SAF_READERS, record="cooperative_fk"),
    "cooperatives:members:create": P(
        SAFI | {"cooperative"}, {"consultant", "coach"}, record="cooperative_fk"
    ),
    "cooperatives:members:detail": P(SAF_READERS, record="member"),
    "cooperatives:members:edit": P(SAFI | {"cooperative"}, {"consultant", "coach"}, record="member"),
    "cooperatives:members:set_active": P(
        SAFI | {"cooperative"}, {"consultant", "coach"}, record="member", **POST
    ),
    "cooperatives:documents:list": P(SAF_READERS, record="cooperative_fk"),
    "cooperatives:documents:download": P(SAF_READERS, record="document"),
    "cooperatives:documents:delete": P(
        SAFI | {"cooperative"}, {"consultant", "coach"}, record="document", **POST
    ),
    # -- programmes and calls --------------------------------------------------------------------
    "programmes:list": P(ALL),
    "programmes:edition": P(ALL, record="edition"),
    "calls:list": P(ALL),
    "calls:create": P(OFFICE, **D403),
    "calls:detail": P(ALL, record="call"),
    "calls:edit": P(OFFICE, record="call", **D403),
    "calls:apply": P(STAFF | {"cooperative"}, record="call", **D403),
    "calls:review_list": P(OFFICE | {"juror"}, record="call", **D403),
    "calls:action": P(OFFICE, record="call_action", **D403, **POST),
    "calls:application": P(SAF_READERS, record="application"),
    "calls:review": P(**OFFICE_DECIDES, record="application"),
    "calls:decide_appeal": P(**OFFICE_DECIDES, record="appeal", **POST),
    "calls:ranking": P(STAFF, record="ranking", **D403),
    "calls:minutes": P(OFFICE, record="ranking_minutes", **D403),
    "calls:ranking_action": P(OFFICE, record="ranking_action", **D403, **POST),
    "calls:beneficiaries": P(ALL, record="edition"),  # scoped list
    "calls:withdraw": P(**OFFICE_DECIDES, record="enrolment", **POST),
    # -- diagnostics -----------------------------------------------------------------------------
    "diagnostics:list": P(ALL),
    "diagnostics:start": P(STAFF, **D403),
    "diagnostics:detail": P(SAF_READERS, record="diagnostic"),
    "diagnostics:fill": P(**CONSULTANT_ONLY, record="diagnostic"),
    "diagnostics:answer": P(**CONSULTANT_ONLY, record="diagnostic_answer", **POST),
    "diagnostics:details": P(**CONSULTANT_ONLY, record="diagnostic", **POST),
    "diagnostics:submit": P(**CONSULTANT_ONLY, record="diagnostic", **POST),
    "diagnostics:review": P(
        {"delegate.safi"}, msg=OFFICE | SAF_FIELD, record="diagnostic", **POST
    ),  # the decision form is read before the rule: an empty POST only comes back with a message
    "diagnostics:attachment_upload": P(**CONSULTANT_ONLY, record="diagnostic", **POST),
    "diagnostics:attachment_download": P(SAF_READERS, record="diagnostic_attachment"),
    "diagnostics:attachment_delete": P(**CONSULTANT_ONLY, record="diagnostic_attachment", **POST),
    "diagnostics:report": P(SAF_READERS, record="diagnostic_report"),
    "diagnostics:progression": P(SAF_READERS, record="diagnostic"),
    "diagnostics:rediagnostic": P(**SAFI_ORGANISES, record="diagnostic", **POST),
    "diagnostics:plans": P(SAF_READERS, record="diagnostic"),
    "diagnostics:plan_propose": P(**CONSULTANT_ONLY, record="diagnostic", **POST),
    "diagnostics:plan_item_add": P(
        {"consultant"}, msg=SAFI | {"coach", "cooperative"}, record="diagnostic", **POST
    ),
    "diagnostics:plan_item_status": P(**CONSULTANT_ONLY, record="plan_item", **POST),
    "diagnostics:plan_item_move": P(
        {"consultant"}, msg=SAFI | {"coach", "cooperative"}, record="plan_item", **POST
    ),
    "diagnostics:plan_item_delete": P(**CONSULTANT_ONLY, record="plan_item", **POST),
    "diagnostics:plan_objective_add": P(
        {"consultant"}, msg=SAFI | {"coach", "cooperative"}, record="diagnostic", **POST
    ),
    "diagnostics:plan_objective_delete": P(**CONSULTANT_ONLY, record="plan_objective", **POST),
    "diagnostics:plan_action_add": P(
        {"consultant"}, msg=SAFI | {"coach", "cooperative"}, record="plan_objective", **POST
    ),
    "diagnostics:plan_action_edit": P(**CONSULTANT_ONLY, record="plan_action"),
    "diagnostics:plan_action_delete": P(**CONSULTANT_ONLY, record="plan_action", **POST),
    "diagnostics:plan_action_progress": P(
        SAFI | {"consultant", "coach"}, msg={"cooperative"}, record="plan_action", **POST
    ),
    "diagnostics:templates": P(OFFICE, **D403),
    "diagnostics:template_import": P(OFFICE, **D403, **POST),
    "diagnostics:template_export": P(OFFICE, record="template", **D403),
    "diagnostics:template_publish": P(OFFICE, record="template", **D403, **POST),
    # -- trainings -------------------------------------------------------------------------------
    "trainings:modules": P(ALL - {"observer"}, **D403),
    "trainings:module": P(ALL - {"observer"}, record="module", **D403),
    "trainings:trainers": P(STAFF | {"trainer"}, **D403),
    "trainings:trainer_new": P(STAFF, **D403),
    "trainings:trainer": P(SAFI | {"trainer"}, record="trainer"),
    "trainings:trainer_edit": P(SAFI, {"trainer"}, record="trainer"),
    "trainings:sessions": P(STAFF | {"trainer"}, **D403),
    "trainings:calendar": P(STAFF | {"trainer"}, **D403),
    "trainings:session_new": P(STAFF, **D403),
    "trainings:session_warnings": P(STAFF, **D403, **POST),
    "trainings:session": P(**RUNS_SESSION, record="session"),
    "trainings:session_edit": P(**PLANS_SESSION, record="session"),
    "trainings:session_edit_warnings": P(**PLANS_SESSION, record="session", **POST),
    "trainings:session_status": P(**RUNS_SESSION, record="session", **POST),
    "trainings:propose": P(**PLANS_SESSION, record="session", **POST),
    "trainings:invite": P(**PLANS_SESSION, record="session", **POST),
    "trainings:remind": P(**PLANS_SESSION, record="session", **POST),
    "trainings:participant_add": P(**PLANS_SESSION, record="session", **POST),
    "trainings:member_search": P(**PLANS_SESSION, record="session"),
    "trainings:participant_cancel": P(**PLANS_SESSION, record="session_registration", **POST),
    "trainings:participant_answer": P(**PLANS_SESSION, record="session_registration", **POST),
    "trainings:attendance_start": P(**RUNS_SESSION, record="session"),
    "trainings:attendance": P(**RUNS_SESSION, record="session_day"),
    "trainings:attendance_mark": P(**RUNS_SESSION, record="session_day_registration", **POST),
    "trainings:walk_in": P(**RUNS_SESSION, record="session_day", **POST),
    "trainings:attendance_import": P(**RUNS_SESSION, record="session"),
    "trainings:evaluations": P(**RUNS_SESSION, record="session"),
    "trainings:scores": P(**RUNS_SESSION, record="session_registration", **POST),
    "trainings:satisfaction": P(**RUNS_SESSION, record="session_registration"),
    "trainings:completion": P(**RUNS_SESSION, record="session"),
    "trainings:issue_certificates": P(**RUNS_SESSION, record="session", **POST),
    # A certificate of a SAF-2022-0088 member: its readers, and the trainer of the session.
    "trainings:certificate_pdf": P(SAF_READERS | {"trainer"}, record="certificate"),
    "trainings:certificate_revoke": P(SAFI, SAF_FIELD | {"trainer"}, record="certificate", **POST),
    "trainings:my": P({"cooperative"}, **D403),
    "trainings:my_answer": P({"cooperative"}, record="registration", **D403, **POST),
    "trainings:counts": P(STAFF, **D403),
    # Public check of a certificate by the code printed on it: shows the holder's name, by design.
    "verify_certificate": P(ALL, record="certificate_code", out_ok=ALL, observer_check=False, **PUBLIC),
    # -- coaching --------------------------------------------------------------------------------
    "coaching:home": P(STAFF | {"coach", "cooperative"}, **D403),
    "coaching:overdue": P(STAFF, **D403),
    "coaching:counts": P(STAFF, **D403),
    "coaching:start": P(**SAFI_ORGANISES, record="enrolment_fk"),
    "coaching:engagement": P(SAF_READERS, record="engagement"),
    "coaching:reassign": P(**SAFI_ORGANISES, record="engagement", **POST),
    "coaching:visit_add": P(**SAFI_ORGANISES, record="engagement", **POST),
    "coaching:visit": P(SAF_READERS, record="visit"),
    "coaching:visit_plan": P(**SAFI_ORGANISES, record="visit", **POST),
    "coaching:visit_cancel": P(**SAFI_ORGANISES, record="visit", **POST),
    "coaching:attachment_upload": P({"coach"}, SAFI | {"consultant", "cooperative"}, record="visit", **POST),
    "coaching:send_code": P({"coach"}, SAFI | {"consultant", "cooperative"}, record="visit", **POST),
    "coaching:attachment": P(SAF_READERS, record="visit_attachment"),
    "coaching:attachment_delete": P(
        {"coach"}, SAFI | {"consultant", "cooperative"}, record="visit_attachment", **POST
    ),
    "coaching:my": P({"cooperative"}, **D403),
    "coaching:my_acknowledge": P({"cooperative"}, record="visit_fk", **D403, **POST),
    # The representative types the code the coach sent: a public page showing the visit's number only.
    "coaching:acknowledge": P(ALL, record="visit_fk", out_ok=ALL, **PUBLIC),
    # Providers (in: the coach's provider; out: the consultant's and trainer's): office manages,
    # delegates read; provider staff have no page here.
    "coaching:providers": P(STAFF, **D403),
    "coaching:provider": P(**PROVIDERS, record="provider"),
    "coaching:contract": P(**PROVIDERS, record="contract"),
    "coaching:deliverables": P(**PROVIDERS, record="contract"),
    "coaching:statement": P(**PROVIDERS, record="contract"),
    "coaching:deliverables_review": P(OFFICE, DELEGATES | {"coach"}, record="contract", **POST),
    "coaching:collect": P(OFFICE, DELEGATES | {"coach"}, record="contract", **POST),
    # -- financing -------------------------------------------------------------------------------
    "financing:home": P(STAFF | {"coach", "cooperative", "juror"}, **D403),
    "financing:late": P(STAFF | {"coach", "cooperative"}, **D403),
    "financing:round_new": P(OFFICE, **D403),
    "financing:round": P(STAFF | {"coach", "cooperative", "juror"}, record="round", **D403),
    "financing:round_edit": P(OFFICE, record="round", **D403),
    "financing:round_eligibility": P(OFFICE, record="round", **D403, **POST),
    "financing:round_committee": P(OFFICE, record="round", **D403),
    "financing:scoring": P(OFFICE | {"juror"}, record="round", **D403),
    "financing:results": P(STAFF | {"observer"}, record="round", **D403),  # checked: no personal data
    "financing:proposal_new": P(STAFF | {"coach", "cooperative"}, record="round", **D403),
    "financing:proposal": P(
        SAFI | {"coach", "cooperative"}, {"consultant", "trainer", "mentor", "observer"}, record="proposal"
    ),
    "financing:proposal_edit": P(**FOLLOW_UP, record="proposal"),
    "financing:proposal_submit": P(**FOLLOW_UP, record="proposal", **POST),
    "financing:proposal_withdraw": P(**FOLLOW_UP, record="proposal", **POST),
    "financing:proposal_document_upload": P(**FOLLOW_UP, record="proposal", **POST),
    "financing:proposal_document": P(
        SAFI | {"coach", "cooperative"},
        {"consultant", "trainer", "mentor", "observer"},
        record="proposal_document",
    ),
    "financing:proposal_document_delete": P(**FOLLOW_UP, record="proposal_document", **POST),
    # Scoring a proposal: the reviewers assigned to its application (the manager for SAF-2022-0088).
    "financing:proposal_score": P(
        {"manager"}, {"admin", "delegate.safi"} | SAF_FIELD, record="proposal", office_out="403"
    ),
    "financing:proposal_conflict": P(**OFFICE_DECIDES, record="proposal", **POST),
    "financing:allocation_compute": P(OFFICE, record="round", **D403, **POST),
    "financing:allocation": P(STAFF, record="allocation", **D403),
    "financing:override": P(OFFICE, record="round", **D403, **POST),
    "financing:override_delete": P(**OFFICE_DECIDES, record="override", **POST),
    "financing:allocation_freeze": P(OFFICE, record="allocation", **D403, **POST),
    "financing:allocation_pdf": P(OFFICE, record="allocation", **D403),
    "financing:allocation_xlsx": P(OFFICE, record="allocation", **D403),
    "financing:agreement": P(**FOLLOW_UP, record="agreement"),
    "financing:agreement_sign": P(**OFFICE_DECIDES, record="agreement", **POST),
    "financing:agreement_terminate": P(**OFFICE_DECIDES, record="agreement", **POST),
    "financing:disbursement_new": P(**OFFICE_DECIDES, record="tranche", **POST),
    "financing:condition_add": P(**OFFICE_DECIDES, record="tranche", **POST),
    "financing:condition_check": P(**OFFICE_DECIDES, record="condition", **POST),
    "financing:milestone_add": P(**FOLLOW_UP, record="agreement", **POST),
    "financing:milestone_report": P(**FOLLOW_UP, record="milestone", **POST),
    "financing:milestone_confirm": P(
        SAFI | {"coach"}, {"consultant", "cooperative"}, record="milestone", **POST
    ),
    "financing:follow_up_new": P(**FOLLOW_UP, record="agreement"),
    "financing:project_document_upload": P(**FOLLOW_UP, record="agreement", **POST),
    "financing:project_document": P(**FOLLOW_UP, record="agreement_document"),
    # -- personal data (law 09-08) ----------------------------------------------------------------
    # Access request: head office and the delegate of the province; erasure: head office.
    "trust:member_export": P(SAFI, SAF_FIELD, record="member", **POST),
    "trust:member_anonymise": P(OFFICE, {"delegate.safi"} | SAF_FIELD, record="member"),
    "trust:erasures": P(OFFICE, **D403),
}
