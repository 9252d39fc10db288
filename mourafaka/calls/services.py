"""Writes of the selection process: applications, eligibility, reviews, rankings, outcomes.

Each service checks the permission policy, refuses bad input with a reason in the user's
language (ValidationError), and writes in one transaction. Notifications leave after commit.
"""

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, FloatField, Max
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Assignment, User
from mourafaka.cooperatives.leadership import is_women_led, is_youth_led
from mourafaka.cooperatives.models import Cooperative, RegistrySettings
from mourafaka.core.notifications import notify
from mourafaka.programmes.models import Enrolment

from . import eligibility, ranking
from .bulk import bulk_insert
from .models import (
    Appeal,
    Application,
    Call,
    CallQuota,
    ConflictOfInterest,
    Criterion,
    EligibilityCheck,
    RankingEntry,
    RankingVersion,
    ReviewerAssignment,
    Score,
)


def _refuse(message, **params):
    raise ValidationError(message, params=params or None)


# ---------------------------------------------------------------------------
# Calls


DEFAULT_GRID = [
    # code, name_fr, name_ar, kind, source, weight
    ("social_impact", "Impact social positif", "الأثر الاجتماعي الإيجابي", "reviewed", "", 3),
    ("local_resources", "Valorisation des ressources et potentialités locales", "تثمين الموارد والمؤهلات المحلية",
     "reviewed", "", 2),
    ("promising_sector", "Secteur prometteur", "قطاع واعد", "reviewed", "", 2),
    ("women_or_youth", "Créée par des jeunes ou des femmes", "أسسها شباب أو نساء", "computed",
     "women_or_youth_led", 2),
    ("national_programme", "Déjà appuyée par un programme national", "سبق دعمها من طرف برنامج وطني", "computed",
     "national_programme", 1),
    ("legal_status", "Situation juridique saine", "وضعية قانونية سليمة", "computed", "legal_status", 1),
]  # fmt: skip


@transaction.atomic
def set_up_call(*, call: Call, regions, by, default_grid: bool = True) -> Call:
    """Save a new call with its regions, quotas taken from the edition, the default rules and grid."""
    policy.require(by, "calls.manage")
    call.full_clean()
    call.save()
    call.regions.set(regions)
    codes = sorted(region.code for region in regions)
    if not call.eligibility_rules:
        prize = None
        if call.kind == Call.Kind.PRIZE:
            prize = call.edition.settings.get("prize_rule")
        call.eligibility_rules = eligibility.default_rules(
            regions=codes, programme=call.edition.programme.code, prize=prize
        )
        call.save(update_fields=["eligibility_rules"])
    edition_quotas = dict(call.edition.quotas.values_list("region_id", "places"))
    for region in regions:
        CallQuota.objects.get_or_create(
            call=call, region=region, defaults={"places": edition_quotas.get(region.id, 0)}
        )
    if default_grid and not call.criteria.exists():
        for order, (code, name_fr, name_ar, kind, source, weight) in enumerate(DEFAULT_GRID):
            Criterion.objects.create(
                call=call, code=code, name_fr=name_fr, name_ar=name_ar, kind=kind, source=source,
                weight=Decimal(weight), scale_min=0, scale_max=4 if kind == "reviewed" else 1, order=order,
            )  # fmt: skip
    return call


def _clean_rules(rules: list[dict], *, region_codes: list[str], programme: str) -> list[dict]:
    """Check each configured rule against the engine's registry; fill the parameters the call implies."""
    cleaned = []
    for entry in rules:
        code = entry.get("rule")
        if code not in eligibility.RULES:
            _refuse(_("Unknown eligibility rule: %(rule)s."), rule=code)
        given = entry.get("params") or {}
        params = {}
        for param in eligibility.PARAMETERS[code]:
            value = given.get(param.name, param.default)
            if param.kind == "call_regions":
                value = sorted(region_codes)
            elif param.kind == "integer":
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    value = -1
                if value < 0:
                    _refuse(_("%(label)s must be a whole number, zero or more."), label=param.label)
            elif param.kind == "share":
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    value = -1.0
                if not 0 <= value <= 1:
                    _refuse(_("%(label)s must be between 0 and 1."), label=param.label)
            elif param.kind == "text":
                value = str(value or "").strip() or (programme if param.name == "programme" else "")
            params[param.name] = value
        cleaned.append({"rule": code, "params": params})
    return cleaned


def _save_grid(call: Call, criteria: list[dict]) -> None:
    """Replace the call's scoring grid by `criteria` (dicts of Criterion fields), keyed on the code."""
    existing = {criterion.code: criterion for criterion in call.criteria.all()}
    kept = set()
    for order, values in enumerate(criteria):
        code = values.get("code")
        if code in kept:
            _refuse(_("Two criteria have the code %(code)s."), code=code)
        kept.add(code)
        criterion = existing.get(code) or Criterion(call=call, code=code)
        for name, value in values.items():
            if name != "code":
                setattr(criterion, name, value)
        if "order" not in values:
            criterion.order = order
        if criterion.kind == Criterion.Kind.REVIEWED:
            criterion.source = ""
        criterion.full_clean(exclude=["call"])
        criterion.save()
    removed = [criterion for code, criterion in existing.items() if code not in kept]
    if Score.objects.filter(criterion__in=removed).exists():
        _refuse(_("A criterion that reviewers already scored cannot be removed."))
    Criterion.objects.filter(pk__in=[criterion.pk for criterion in removed]).delete()
    check_grid(call)


def _save_quotas(call: Call, regions, places: dict) -> None:
    """One quota per region of the call: `places` maps a region to its places (else the edition's)."""
    region_ids = {region.pk for region in regions}
    for region, count in places.items():
        if region.pk not in region_ids:
            _refuse(_("The region %(region)s is not open in this call."), region=region.name)
        if count is None or int(count) < 0:
            _refuse(_("The quota of %(region)s cannot be below zero."), region=region.name)
    edition_quotas = dict(call.edition.quotas.values_list("region_id", "places"))
    given = {region.pk: int(count) for region, count in places.items()}
    call.quotas.exclude(region_id__in=region_ids).delete()
    for region in regions:
        quota, created = CallQuota.objects.get_or_create(
            call=call,
            region=region,
            defaults={"places": given.get(region.pk, edition_quotas.get(region.pk, 0))},
        )
        if not created and region.pk in given and quota.places != given[region.pk]:
            quota.places = given[region.pk]
            quota.save(update_fields=["places"])


@transaction.atomic
def configure_call(
    *, call: Call, regions, by, rules: list[dict] | None = None, criteria: list[dict] | None = None,
    quotas: dict | None = None,
) -> Call:  # fmt: skip
    """Create or change a call with its regions, eligibility rules, scoring grid and regional quotas:
    everything is saved, or nothing (any refusal rolls the whole set-up back).

    `rules` is a list of {"rule", "params"}, `criteria` a list of Criterion field dicts, `quotas` maps
    a region to its places; None keeps what is there (the defaults for a new call).
    """
    policy.require(by, "calls.manage")
    regions = list(regions)
    if not regions and call.phase_id:
        regions = list(call.phase.regions.all())
    if call.pk is not None:
        stored = Call.objects.select_for_update().get(pk=call.pk)
        if timezone.now() >= stored.closes_at:
            _refuse(_("This call is closed: its settings can no longer change."))
    if not regions:
        _refuse(_("Choose at least one region."))
    if call.phase_id and call.phase.edition_id != call.edition_id:
        _refuse(_("This phase belongs to another edition."))
    if call.pk is None:
        set_up_call(call=call, regions=regions, by=by, default_grid=criteria is None)
    else:
        call.full_clean()
        call.save()
        call.regions.set(regions)
    codes = [region.code for region in regions]
    programme = call.edition.programme.code
    call.eligibility_rules = _clean_rules(
        call.eligibility_rules if rules is None else rules, region_codes=codes, programme=programme
    )
    call.save(update_fields=["eligibility_rules"])
    if criteria is not None:
        _save_grid(call, criteria)
    _save_quotas(call, regions, quotas or {})
    return call


def check_grid(call: Call) -> None:
    criteria = list(call.criteria.all())
    if not criteria:
        _refuse(_("The scoring grid has no criterion."))
    if sum(criterion.weight for criterion in criteria) <= 0:
        _refuse(_("The weights of the scoring grid sum to zero."))


# ---------------------------------------------------------------------------
# Applications


@transaction.atomic
def submit_application(
    *, call: Call, cooperative: Cooperative, by, project_summary: str, motivation: str = "",
    requested_support: str = "", at: dt.datetime | None = None,
) -> Application:  # fmt: skip
    """A cooperative applies (its representative, or staff on its behalf)."""
    policy.require(by, "calls.apply", cooperative)
    at = at or timezone.now()
    if at < call.opens_at:
        _refuse(_("This call opens on %(date)s."), date=timezone.localtime(call.opens_at).date())
    if at >= call.closes_at:
        _refuse(_("This call closed on %(date)s."), date=timezone.localtime(call.closes_at).date())
    if not call.regions.filter(pk=cooperative.region_id).exists():
        _refuse(_("This call is not open to the region %(region)s."), region=cooperative.region.name)
    if Application.objects.filter(call=call, cooperative=cooperative).exclude(status="withdrawn").exists():
        _refuse(_("This cooperative has already applied to this call."))
    if not project_summary.strip():
        _refuse(_("Describe the project."))
    application, _created = Application.objects.update_or_create(
        call=call,
        cooperative=cooperative,
        defaults={
            "status": Application.Status.SUBMITTED,
            "project_summary": project_summary,
            "motivation": motivation,
            "requested_support": requested_support,
            "submitted_at": at,
            "submitted_by": by,
            "eligible": None,
        },
    )
    return application


@transaction.atomic
def withdraw_application(*, application: Application, by) -> Application:
    policy.require(by, "calls.apply", application.cooperative)
    if application.call.rankings.filter(status=RankingVersion.Status.FROZEN).exists():
        _refuse(_("The ranking of this call is frozen: the application can no longer be withdrawn."))
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    return application


# ---------------------------------------------------------------------------
# Eligibility


def _earlier_programmes(cooperative_ids, call: Call) -> dict[int, set[str]]:
    """Programmes each cooperative already benefited from, in editions other than this one."""
    rows = (
        Enrolment.objects.filter(cooperative_id__in=cooperative_ids)
        .exclude(edition=call.edition)
        .values_list("cooperative_id", "edition__programme__code")
    )
    result: dict[int, set[str]] = defaultdict(set)
    for cooperative_id, code in rows:
        result[cooperative_id].add(code)
    return result


def facts_of(cooperative: Cooperative, earlier: set[str]) -> eligibility.Facts:
    return eligibility.Facts(
        registration_number=cooperative.registration_number,
        creation_date=cooperative.creation_date,
        activity_start_date=cooperative.activity_start_date,
        members_total=cooperative.members_total,
        members_women=cooperative.members_women,
        members_youth=cooperative.members_youth,
        legal_status_ok=cooperative.legal_status_ok,
        region_code=cooperative.region.code,
        earlier_programmes=frozenset(earlier),
    )


#: Facts a kind of call adds to the registry's: {Call.Kind: function(applications, call) -> {application
#: pk: {Facts field: value}}}. The financing app adds each proposal's amounts and completeness.
FACT_PROVIDERS: dict = {}


@transaction.atomic
def run_eligibility(*, call: Call, by, at: dt.date | None = None) -> dict:
    """Evaluate every submitted application at the call's closing date (a fixed number of queries).

    The previous evaluation of each application is kept, no longer current.
    """
    policy.require(by, "calls.manage")
    at = at or call.reference_date
    eligibility.check_rules(call.eligibility_rules)
    applications = list(
        Application.objects.filter(call=call, status=Application.Status.SUBMITTED).select_related(
            "cooperative__region"
        )
    )
    earlier = _earlier_programmes([a.cooperative_id for a in applications], call)
    provider = FACT_PROVIDERS.get(call.kind)
    extra = provider(applications, call) if provider else {}
    now = timezone.now()
    EligibilityCheck.objects.filter(application__in=applications, current=True).update(current=False)
    checks = []
    for application in applications:
        facts = facts_of(application.cooperative, earlier[application.cooperative_id])
        report = eligibility.evaluate(
            dataclasses.replace(facts, **extra.get(application.pk, {})),
            call.eligibility_rules,
            at=at,
        )
        application.eligible = report.eligible
        checks.append(
            EligibilityCheck(
                application=application,
                evaluated_at=now,
                reference_date=at,
                eligible=report.eligible,
                report=report.as_dict(),
                current=True,
                evaluated_by=by,
            )  # fmt: skip
        )
    bulk_insert(checks)
    for outcome in (True, False):  # two UPDATEs per batch instead of one CASE per application
        ids = [application.pk for application in applications if application.eligible is outcome]
        for start in range(0, len(ids), 5000):
            Application.objects.filter(pk__in=ids[start : start + 5000]).update(eligible=outcome)
    eligible = sum(1 for application in applications if application.eligible)
    return {
        "evaluated": len(applications),
        "eligible": eligible,
        "not_eligible": len(applications) - eligible,
    }


# ---------------------------------------------------------------------------
# Review


@transaction.atomic
def assign_reviewers(*, call: Call, reviewers: list[User], by, per_application: int | None = None) -> int:
    """Give each eligible application `per_application` reviewers, balancing the load and, within
    it, the regions each reviewer sees. Declared conflicts are respected. Returns the count added."""
    policy.require(by, "calls.manage")
    per_application = per_application or call.reviewers_per_application
    if not reviewers:
        _refuse(_("Choose at least one reviewer."))
    if per_application > len(reviewers):
        _refuse(
            _("%(count)s reviewers per application need at least as many reviewers."), count=per_application
        )
    applications = list(
        Application.objects.filter(call=call, status=Application.Status.SUBMITTED, eligible=True)
        .select_related("cooperative")
        .order_by("cooperative__region__code", "submitted_at", "pk")
    )
    existing = defaultdict(set)
    load = dict.fromkeys((reviewer.pk for reviewer in reviewers), 0)
    for reviewer_id, application_id in ReviewerAssignment.objects.filter(application__call=call).values_list(
        "reviewer_id", "application_id"
    ):
        existing[application_id].add(reviewer_id)
        if reviewer_id in load:
            load[reviewer_id] += 1
    conflicts = set(
        ConflictOfInterest.objects.filter(application__call=call).values_list("reviewer_id", "application_id")
    )
    regions_seen: dict = defaultdict(lambda: defaultdict(int))
    created = []
    for application in applications:
        region = application.cooperative.region_id
        needed = per_application - len(existing[application.pk])
        candidates = [
            reviewer for reviewer in reviewers
            if reviewer.pk not in existing[application.pk] and (reviewer.pk, application.pk) not in conflicts
        ]  # fmt: skip
        candidates.sort(
            key=lambda reviewer: (load[reviewer.pk], regions_seen[reviewer.pk][region], reviewer.pk)
        )
        for reviewer in candidates[: max(0, needed)]:
            created.append(ReviewerAssignment(reviewer=reviewer, application=application))
            existing[application.pk].add(reviewer.pk)
            load[reviewer.pk] += 1
            regions_seen[reviewer.pk][region] += 1
    ReviewerAssignment.objects.bulk_create(created, batch_size=1000)
    # Reviewers see the cooperatives they review (the policy reads Assignment).
    for assignment in created:
        Assignment.objects.update_or_create(
            user=assignment.reviewer,
            cooperative=assignment.application.cooperative,
            kind=Assignment.Kind.JURY,
            defaults={"active": True},
        )
    return len(created)


@transaction.atomic
def declare_conflict(*, reviewer, application: Application, reason: str) -> ConflictOfInterest:
    """A reviewer declares a conflict: their scores on the application are withdrawn, and they
    can no longer score it."""
    if not reason.strip():
        _refuse(_("Say why there is a conflict of interest."))
    conflict, _created = ConflictOfInterest.objects.get_or_create(
        reviewer=reviewer, application=application, defaults={"reason": reason}
    )
    Score.objects.filter(reviewer=reviewer, application=application).delete()
    ReviewerAssignment.objects.filter(reviewer=reviewer, application=application).delete()
    return conflict


def _ranking_frozen(call: Call) -> bool:
    return call.rankings.filter(status=RankingVersion.Status.FROZEN).exists()


@transaction.atomic
def record_score(
    *, reviewer, application: Application, criterion: Criterion, value, comment: str = ""
) -> Score:
    if criterion.call_id != application.call_id or criterion.kind != Criterion.Kind.REVIEWED:
        _refuse(_("This criterion is not scored by reviewers in this call."))
    if ConflictOfInterest.objects.filter(reviewer=reviewer, application=application).exists():
        _refuse(_("You declared a conflict of interest with this application: you cannot score it."))
    if not ReviewerAssignment.objects.filter(reviewer=reviewer, application=application).exists():
        raise PermissionDenied(_("This application is not assigned to you."))
    if _ranking_frozen(application.call):
        _refuse(_("The ranking is frozen: scores can no longer change."))
    value = Decimal(str(value))
    if not criterion.scale_min <= value <= criterion.scale_max:
        _refuse(
            _("The score must be between %(low)s and %(high)s."),
            low=criterion.scale_min.normalize(),
            high=criterion.scale_max.normalize(),
        )
    score, _created = Score.objects.update_or_create(
        reviewer=reviewer,
        application=application,
        criterion=criterion,
        defaults={"value": value, "comment": comment},
    )
    return score


@transaction.atomic
def record_scores(*, reviewer, application: Application, values: dict) -> list[Score]:
    """Save a reviewer's scores on several criteria at once: all of them, or none when one is refused.

    `values` maps each Criterion to (value, comment); an empty value is skipped.
    """
    saved = []
    for criterion, (value, comment) in values.items():
        if str(value).strip() == "":
            continue
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except ArithmeticError:
            _refuse(_("The score of %(criterion)s must be a number."), criterion=criterion.name)
        saved.append(
            record_score(
                reviewer=reviewer, application=application, criterion=criterion, value=number, comment=comment
            )
        )
    return saved


def review_progress(call: Call) -> list[dict]:
    """Per reviewer: applications assigned, fully scored, conflicts declared (three queries)."""
    reviewed = call.criteria.filter(kind=Criterion.Kind.REVIEWED).count()
    assigned = defaultdict(set)
    for reviewer_id, application_id in ReviewerAssignment.objects.filter(application__call=call).values_list(
        "reviewer_id", "application_id"
    ):
        assigned[reviewer_id].add(application_id)
    scored = defaultdict(lambda: defaultdict(int))
    for reviewer_id, application_id in Score.objects.filter(application__call=call).values_list(
        "reviewer_id", "application_id"
    ):
        scored[reviewer_id][application_id] += 1
    conflicts = defaultdict(int)
    for reviewer_id in ConflictOfInterest.objects.filter(application__call=call).values_list(
        "reviewer_id", flat=True
    ):
        conflicts[reviewer_id] += 1
    users = User.objects.in_bulk(set(assigned) | set(conflicts))
    rows = []
    for reviewer_id, user in sorted(users.items(), key=lambda item: item[1].full_name):
        done = sum(
            1 for application_id in assigned[reviewer_id] if scored[reviewer_id][application_id] >= reviewed
        )
        rows.append(
            {
                "reviewer": user,
                "assigned": len(assigned[reviewer_id]),
                "done": done,
                "conflicts": conflicts[reviewer_id],
            }
        )
    return rows


# ---------------------------------------------------------------------------
# Ranking


def _computed_flags(row: dict, registry: RegistrySettings, in_programme: bool) -> dict:
    """Each data source of a computed criterion, true or false, from a cooperative's registry figures."""
    women = is_women_led(members_women=row["women"], members_total=row["members"], settings=registry)
    youth = is_youth_led(members_youth=row["youth"], members_total=row["members"], settings=registry)
    return {
        Criterion.Source.WOMEN_LED: women,
        Criterion.Source.YOUTH_LED: youth,
        Criterion.Source.WOMEN_OR_YOUTH_LED: women or youth,
        Criterion.Source.NATIONAL_PROGRAMME: in_programme,
        Criterion.Source.LEGAL_STATUS: row["legal_status_ok"],
        Criterion.Source.RURAL: row["rural"],
    }


def _review_order(review: ranking.Review):
    return review.criterion, review.reviewer


def ranking_inputs(
    call: Call,
) -> tuple[list[ranking.Candidate], list[ranking.Criterion], ranking.Rules, dict]:
    """Load everything the ranking needs in a fixed number of queries, as plain data (no model
    instances: 10,000 applications must rank in well under two seconds)."""
    criteria = list(call.criteria.all())
    grid = [
        ranking.Criterion(
            code=c.code,
            weight=float(c.weight),
            reviewed=c.kind == Criterion.Kind.REVIEWED,
            scale_min=float(c.scale_min),
            scale_max=float(c.scale_max),
        )  # fmt: skip
        for c in criteria
    ]
    computed_criteria = [(c.code, c.source) for c in criteria if c.kind == Criterion.Kind.COMPUTED]
    submitted = Application.objects.filter(call=call, status=Application.Status.SUBMITTED)
    rows = submitted.values(
        "pk", "submitted_at", "eligible", "cooperative_id", number=F("cooperative__registration_number"),
        region=F("cooperative__region__code"), members=F("cooperative__members_total"),
        women=F("cooperative__members_women"), youth=F("cooperative__members_youth"),
        legal_status_ok=F("cooperative__legal_status_ok"), rural=F("cooperative__rural"),
    )  # fmt: skip
    in_programmes = set(
        Cooperative.national_programmes.through.objects.filter(
            cooperative__applications__in=submitted
        ).values_list("cooperative_id", flat=True)
    )
    registry = RegistrySettings.current()
    reviews = defaultdict(list)
    conflicts = set(
        ConflictOfInterest.objects.filter(application__call=call).values_list("reviewer_id", "application_id")
    )
    codes = {c.pk: c.code for c in criteria}
    for application_id, reviewer_id, criterion_id, value in Score.objects.filter(
        application__call=call
    ).values_list("application_id", "reviewer_id", "criterion_id", Cast("value", FloatField())):
        if (reviewer_id, application_id) not in conflicts:
            reviews[application_id].append(
                ranking.Review(reviewer=reviewer_id, criterion=codes[criterion_id], value=value)
            )
    candidates = []
    for row in rows:
        flags = _computed_flags(row, registry, row["cooperative_id"] in in_programmes)
        computed = {code: 1.0 if flags[source] else 0.0 for code, source in computed_criteria}
        candidates.append(
            ranking.Candidate(
                application=row["pk"],
                registration_number=row["number"],
                region=row["region"],
                submitted_at=row["submitted_at"],
                eligible=bool(row["eligible"]),
                computed=computed,
                reviews=tuple(sorted(reviews[row["pk"]], key=_review_order)),
            )
        )
    quotas = {quota.region.code: quota.places for quota in call.quotas.select_related("region")}
    rules = ranking.Rules(
        quotas=quotas,
        waitlist_length=call.waitlist_length,
        reallocate=call.reallocate_unused,
        minimum_total=float(call.minimum_total) if call.minimum_total is not None else None,
        standardise=call.standardise_reviewers,
    )
    snapshot = {
        "call": call.code,
        "grid": [c.__dict__ for c in grid],
        "rules": {**rules.__dict__},
        "candidates": [
            {
                "application": c.application,
                "registration_number": c.registration_number,
                "region": c.region,
                "submitted_at": c.submitted_at.isoformat(),
                "eligible": c.eligible,
                "computed": c.computed,
                "reviews": [[r.reviewer, r.criterion, r.value] for r in c.reviews],
            }  # fmt: skip
            for c in sorted(candidates, key=lambda c: c.registration_number)
        ],
    }
    return candidates, grid, rules, snapshot


@transaction.atomic
def compute_ranking(*, call: Call, by, reason: str = "") -> RankingVersion:
    """Compute a new draft version of the ranking from the current data."""
    policy.require(by, "calls.manage")
    check_grid(call)
    candidates, grid, rules, snapshot = ranking_inputs(call)
    try:
        entries = ranking.rank(candidates, grid, rules)
    except ranking.InvalidGrid as error:
        raise ValidationError(str(error)) from error
    results = [
        {"application": e.application, "outcome": e.outcome, "position": e.position, "total": e.total_display}
        for e in entries
    ]
    number = (call.rankings.aggregate(Max("number"))["number__max"] or 0) + 1
    version = RankingVersion.objects.create(
        call=call,
        number=number,
        reason=reason,
        inputs=snapshot,
        checksum=ranking.checksum({"inputs": snapshot, "results": results}),
        created_by=by,
    )
    regions = {region.code: region.pk for region in call.regions.all()}
    region_of = {}
    if any(e.region not in regions for e in entries):  # a cooperative that moved out of the call's regions
        region_of = dict(Application.objects.filter(call=call).values_list("pk", "cooperative__region_id"))
    bulk_insert(
        [
            RankingEntry(
                version=version,
                application_id=e.application,
                region_id=regions.get(e.region) or region_of[e.application],
                position=e.position,
                region_position=e.region_position,
                waitlist_position=e.waitlist_position,
                total=None if e.total is None else Decimal(str(round(e.total, 9))),
                outcome=e.outcome,
                scores=e.scores,
            )
            for e in entries
        ]
    )
    return version


@transaction.atomic
def freeze_ranking(*, version: RankingVersion, by) -> RankingVersion:
    """The committee freezes a version: it can no longer change; earlier frozen ones are superseded."""
    policy.require(by, "calls.manage")
    if version.status != RankingVersion.Status.DRAFT:
        _refuse(_("Only a draft ranking can be frozen."))
    version.freeze(siblings=RankingVersion.objects.filter(call=version.call), by=by)
    return version


def current_ranking(call: Call) -> RankingVersion | None:
    return call.rankings.filter(status=RankingVersion.Status.FROZEN).order_by("-number").first()


def _representatives(cooperative_ids) -> dict[int, list[User]]:
    users = defaultdict(list)
    for user in User.objects.filter(cooperative_id__in=cooperative_ids, is_active=True):
        users[user.cooperative_id].append(user)
    return users


OUTCOME_MESSAGES = {
    RankingEntry.Outcome.SELECTED: _("Your cooperative is selected. Welcome to %(edition)s."),
    RankingEntry.Outcome.REALLOCATED: _("Your cooperative is selected. Welcome to %(edition)s."),
    RankingEntry.Outcome.WAITLISTED: _(
        "Your cooperative is on the waitlist (place %(place)s in its region)."
    ),
    RankingEntry.Outcome.NOT_SELECTED: _("Your cooperative is not selected this time."),
    RankingEntry.Outcome.BELOW_MINIMUM: _("Your application did not reach the minimum total."),
    RankingEntry.Outcome.INELIGIBLE: _("Your application is not eligible: see the reasons on its page."),
}


def _sync_enrolments(version: RankingVersion, by, *, reason: str) -> dict:
    """Selected cooperatives become beneficiaries; those no longer selected are withdrawn."""
    call = version.call
    entries = list(version.entries.select_related("application__cooperative"))
    selected = {e.application.cooperative_id: e.application for e in entries if e.selected}
    enrolments = {
        enrolment.cooperative_id: enrolment
        for enrolment in Enrolment.objects.filter(edition=call.edition, application__call=call)
    }
    # Already a beneficiary of the edition through another call (or a decision): nothing to add.
    elsewhere = set(
        Enrolment.objects.filter(edition=call.edition)
        .exclude(pk__in=[enrolment.pk for enrolment in enrolments.values()])
        .values_list("cooperative_id", flat=True)
    )
    today = timezone.localdate()
    added = withdrawn = 0
    for cooperative_id, application in selected.items():
        enrolment = enrolments.get(cooperative_id)
        if enrolment is None and cooperative_id in elsewhere:
            continue
        if enrolment is None:
            Enrolment.objects.create(
                edition=call.edition, cooperative_id=cooperative_id, application=application, started_on=today,
                source=Enrolment.Source.SELECTED,
            )  # fmt: skip
            added += 1
        elif enrolment.status == Enrolment.Status.WITHDRAWN and enrolment.withdrawal_reason.startswith(
            "ranking"
        ):
            enrolment.status, enrolment.withdrawn_on, enrolment.withdrawal_reason = (
                Enrolment.Status.ACTIVE,
                None,
                "",
            )
            enrolment.save()
            added += 1
    for cooperative_id, enrolment in enrolments.items():
        if (
            cooperative_id not in selected
            and enrolment.source == Enrolment.Source.SELECTED
            and enrolment.status == Enrolment.Status.ACTIVE
        ):
            enrolment.status = Enrolment.Status.WITHDRAWN
            enrolment.withdrawn_on = today
            enrolment.withdrawal_reason = f"ranking v{version.number}: {reason}"
            enrolment.save()
            withdrawn += 1
    return {"enrolled": added, "withdrawn": withdrawn}


@transaction.atomic
def publish_results(*, version: RankingVersion, by) -> dict:
    """Send each applicant its outcome and make the selected cooperatives beneficiaries."""
    policy.require(by, "calls.manage")
    if version.status != RankingVersion.Status.FROZEN:
        _refuse(_("Freeze the ranking before publishing its results."))
    call = version.call
    call.results_published_at = timezone.now()
    call.save(update_fields=["results_published_at"])
    counts = _sync_enrolments(version, by, reason="published")
    entries = list(version.entries.select_related("application__cooperative"))
    representatives = _representatives([e.application.cooperative_id for e in entries])
    for entry in entries:
        users = representatives.get(entry.application.cooperative_id, [])
        if users:
            notify(
                users=users,
                title=_("Outcome of the call %(call)s"),
                body=OUTCOME_MESSAGES[entry.outcome],
                params={
                    "call": call.name,
                    "edition": call.edition.name,
                    "place": entry.waitlist_position or "",
                },
                link=reverse("calls:application", args=[entry.application_id]),
                sms=True,
            )
    return {**counts, "notified": len(entries)}


# ---------------------------------------------------------------------------
# Appeals and withdrawals


@transaction.atomic
def submit_appeal(*, application: Application, reason: str, by, document=None, at=None) -> Appeal:
    policy.require(by, "calls.apply", application.cooperative)
    call = application.call
    version = current_ranking(call)
    at = at or timezone.now()
    if version is None or call.results_published_at is None:
        _refuse(_("The results of this call are not published yet."))
    deadline = call.results_published_at + dt.timedelta(days=call.appeal_days)
    if at > deadline:
        _refuse(_("The time to appeal ended on %(date)s."), date=timezone.localtime(deadline).date())
    if Appeal.objects.filter(application=application, ranking=version).exists():
        _refuse(_("An appeal was already made against this ranking."))
    if not reason.strip():
        _refuse(_("Give the reason for the appeal."))
    appeal = Appeal(application=application, ranking=version, reason=reason, submitted_by=by, submitted_at=at)
    if document is not None:
        appeal.document = document
    appeal.save()
    return appeal


@transaction.atomic
def decide_appeal(*, appeal: Appeal, upheld: bool, decision: str, by) -> Appeal:
    """The committee decides. Upholding an appeal recomputes the ranking from the corrected data
    (eligibility, scores) as a new frozen version whose reason cites the appeal."""
    policy.require(by, "calls.manage")
    if appeal.status != Appeal.Status.PENDING:
        _refuse(_("This appeal was already decided."))
    if not decision.strip():
        _refuse(_("Write the committee's decision."))
    appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
    appeal.decision = decision
    appeal.decided_by = by
    appeal.decided_at = timezone.now()
    if upheld:
        reason = f"appeal {appeal.pk}: {decision}"
        version = freeze_ranking(
            version=compute_ranking(call=appeal.application.call, by=by, reason=reason), by=by
        )
        appeal.resulting_ranking = version
        _sync_enrolments(version, by, reason=reason)
    appeal.save()
    users = _representatives([appeal.application.cooperative_id]).get(appeal.application.cooperative_id, [])
    notify(
        users=users,
        title=_("Decision on your appeal"),
        body=decision,
        link=reverse("calls:application", args=[appeal.application_id]),
    )
    return appeal


@transaction.atomic
def withdraw_beneficiary(*, enrolment: Enrolment, reason: str, by) -> Enrolment | None:
    """A beneficiary leaves; the first waitlisted cooperative of its region takes the place.
    Returns the enrolment of the promoted cooperative, if any."""
    policy.require(by, "calls.manage")
    if enrolment.status != Enrolment.Status.ACTIVE:
        _refuse(_("This beneficiary is not active."))
    if not reason.strip():
        _refuse(_("Give the reason for the withdrawal."))
    enrolment.status = Enrolment.Status.WITHDRAWN
    enrolment.withdrawn_on = timezone.localdate()
    enrolment.withdrawal_reason = reason
    enrolment.save()
    if enrolment.application is None:
        return None
    version = current_ranking(enrolment.application.call)
    if version is None:
        return None
    taken = set(Enrolment.objects.filter(edition=enrolment.edition).values_list("cooperative_id", flat=True))
    region_id = enrolment.cooperative.region_id
    candidates = (
        version.entries.filter(outcome=RankingEntry.Outcome.WAITLISTED, region_id=region_id)
        .select_related("application__cooperative")
        .order_by("waitlist_position")
    )
    for entry in candidates:
        if entry.application.cooperative_id not in taken:
            promoted = Enrolment.objects.create(
                edition=enrolment.edition, cooperative=entry.application.cooperative, application=entry.application,
                started_on=timezone.localdate(), source=Enrolment.Source.PROMOTED,
            )  # fmt: skip
            users = _representatives([promoted.cooperative_id]).get(promoted.cooperative_id, [])
            notify(
                users=users,
                title=_("A place opened for your cooperative"),
                body=_("Your cooperative moves from the waitlist to %(edition)s."),
                params={"edition": enrolment.edition.name},
                link=reverse("calls:application", args=[entry.application_id]),
                sms=True,
            )
            return promoted
    return None
