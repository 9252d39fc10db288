"""Follow-up of financed projects: milestones, follow-up figures, late milestones and their alerts,
and the results of a round.

A milestone is planned by head office or the delegation, reported done by the cooperative (or its
coach), and confirmed on the ground by the coach; a confirmed milestone no longer changes. Follow-up
reports give the project's figures at a date (jobs created, of which women and young people,
turnover, members reached); the latest report of each project counts in the results.

A milestone is late when it is not confirmed and the day `at` is more than the round's
`milestone_grace_days` after its due date (`is_late`; on the last day of grace it is not late yet).
Only milestones of signed agreements are followed: a draft agreement has not started, a terminated
one is over, a completed one has every milestone confirmed.
"""

import datetime as dt
from collections import defaultdict

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.core.models import Notification
from mourafaka.core.notifications import notify
from mourafaka.territory.models import Region

from .agreements import (
    NOT_A_DATE,
    NOT_SIGNED,
    TERMINATED,
    _amount,
    _link,
    _locked,
    _refuse_closed,
    _unique,
    coaches,
    complete_if_done,
    delegates,
    head_office,
    representatives,
)
from .models import ZERO, Agreement, Disbursement, FollowUpReport, Milestone, Round

#: The anchor that marks a late-milestone alert in a notification's link (and makes the alerts of a
#: milestone findable, so that it is alerted once a week at most).
ALERT_ANCHOR = "#late-milestone-"
#: Days between two alerts on the same late milestone.
ALERT_EVERY_DAYS = 7

CONFIRMED = _("This milestone is confirmed: it can no longer change.")


def _date(value, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError) as error:
        raise ValidationError({name: ValidationError(NOT_A_DATE, code="date")}) from error


def _whole(value, name: str, errors: dict) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or str(value).strip() not in (str(number), f"{number}.0"):
        errors[name] = _("Give a whole number, zero or more.")
        return 0
    return number


def _require_planner(by, agreement: Agreement) -> None:
    """Head office, or the delegation of the cooperative's province, plans the milestones."""
    if not policy.is_active(by):
        raise PermissionDenied(str(policy.NOT_SIGNED_IN))
    policy.require(by, "financing.plan_milestones", agreement)


def _locked_milestone(milestone) -> tuple[Agreement, Milestone]:
    agreement = _locked(milestone.agreement_id)
    return agreement, Milestone.objects.get(pk=milestone.pk, agreement=agreement)


def _clean_milestone(agreement: Agreement, title, due_on) -> tuple[str | None, dt.date | None]:
    if title is not None:
        title = str(title).strip()
        if not title:
            raise ValidationError({"title": _("Say what the milestone is.")})
        if len(title) > 255:
            raise ValidationError({"title": _("The milestone is at most 255 characters.")})
    if due_on is not None:
        due_on = _date(due_on, "due_on")
        if agreement.signed_on and due_on < agreement.signed_on:
            raise ValidationError(
                {"due_on": ValidationError(
                    _("A milestone cannot be due before the signature of the agreement, on %(date)s."),
                    params={"date": agreement.signed_on.isoformat()},
                )}
            )  # fmt: skip
        if agreement.ends_on and due_on > agreement.ends_on:
            raise ValidationError(
                {"due_on": ValidationError(
                    _("A milestone cannot be due after the end of the implementation, on %(date)s."),
                    params={"date": agreement.ends_on.isoformat()},
                )}
            )  # fmt: skip
    return title, due_on


def _params(agreement: Agreement, milestone: Milestone) -> dict:
    return {
        "milestone": milestone.title,
        "reference": agreement.reference,
        "cooperative": str(agreement.proposal.application.cooperative),
        "date": milestone.due_on.isoformat(),
    }


# ---------------------------------------------------------------------------
# Milestones


@transaction.atomic
def add_milestone(*, agreement, title, due_on, by, order=None) -> Milestone:
    """Add a milestone to an agreement still running (head office or the delegation); it comes last
    unless `order` says otherwise. The cooperative and its coach are told."""
    agreement = _locked(agreement)
    _require_planner(by, agreement)
    _refuse_closed(agreement, signed=False)
    if title is None or due_on is None:
        raise ValidationError({"title" if title is None else "due_on": _("This field is required.")})
    title, due_on = _clean_milestone(agreement, title, due_on)
    if order is None:
        order = (Milestone.objects.filter(agreement=agreement).aggregate(last=Max("order"))["last"] or 0) + 1
    else:
        errors = {}
        order = _whole(order, "order", errors)
        if errors or order > 32767:
            raise ValidationError({"order": _("Give a whole number, zero or more.")})
    with set_actor(by):
        milestone = Milestone.objects.create(agreement=agreement, order=order, title=title, due_on=due_on)
    notify(
        users=_unique(representatives(agreement), coaches(agreement)),
        title=_("New milestone for %(reference)s: %(milestone)s"),
        body=_(
            "The milestone “%(milestone)s” of the grant %(reference)s (%(cooperative)s) is due on %(date)s."
        ),
        link=_link(agreement),
        params=_params(agreement, milestone),
    )
    return milestone


@transaction.atomic
def change_milestone(*, milestone, by, title=None, due_on=None) -> Milestone:
    """Change the title or the due date of a milestone not yet confirmed (head office or the
    delegation)."""
    agreement, milestone = _locked_milestone(milestone)
    _require_planner(by, agreement)
    _refuse_closed(agreement, signed=False)
    if milestone.confirmed_at is not None:
        raise ValidationError(CONFIRMED, code="confirmed")
    title, due_on = _clean_milestone(agreement, title, due_on)
    fields = []
    if title is not None and title != milestone.title:
        milestone.title = title
        fields.append("title")
    if due_on is not None and due_on != milestone.due_on:
        milestone.due_on = due_on
        fields.append("due_on")
    if fields:
        with set_actor(by):
            milestone.save(update_fields=fields)
    return milestone


@transaction.atomic
def report_milestone(*, milestone, note, by) -> Milestone:
    """The cooperative (or its coach, the delegation, head office) says a milestone is done, with what
    was done; the coach is asked to confirm it on the ground. It may be reported again until confirmed."""
    agreement, milestone = _locked_milestone(milestone)
    policy.require(by, "financing.follow_up", agreement)
    _refuse_closed(agreement)
    if milestone.confirmed_at is not None:
        raise ValidationError(CONFIRMED, code="confirmed")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what was done.")})
    with set_actor(by):
        milestone.reported_at = timezone.now()
        milestone.reported_note = note
        milestone.save(update_fields=["reported_at", "reported_note"])
    notify(
        users=[user for user in coaches(agreement) if user.pk != by.pk],
        title=_("Milestone done, to confirm: %(milestone)s"),
        body=_("%(cooperative)s reports the milestone “%(milestone)s” of the grant %(reference)s done. "
               "Please confirm it on your next visit."),
        link=_link(agreement),
        params=_params(agreement, milestone),
    )  # fmt: skip
    return milestone


@transaction.atomic
def confirm_milestone(*, milestone, by, note="") -> Milestone:
    """The coach confirms on the ground that a milestone is done (head office and the delegation may
    too); a tranche that waits on it may then be paid. The cooperative and head office are told."""
    agreement, milestone = _locked_milestone(milestone)
    policy.require(by, "financing.confirm_milestone", agreement)
    _refuse_closed(agreement)
    if milestone.confirmed_at is not None:
        raise ValidationError(_("This milestone is already confirmed."), code="confirmed")
    with set_actor(by):
        milestone.confirmed_at = timezone.now()
        milestone.confirmed_by = by
        milestone.confirmation_note = (note or "").strip()
        milestone.save(update_fields=["confirmed_at", "confirmed_by", "confirmation_note"])
        complete_if_done(agreement)
    notify(
        users=[user for user in _unique(representatives(agreement), head_office()) if user.pk != by.pk],
        title=_("Milestone confirmed: %(milestone)s"),
        body=_("The milestone “%(milestone)s” of the grant %(reference)s (%(cooperative)s) is confirmed."),
        link=_link(agreement),
        params=_params(agreement, milestone),
    )
    return milestone


# ---------------------------------------------------------------------------
# Follow-up figures


@transaction.atomic
def record_follow_up(
    *,
    agreement,
    by,
    reported_on,
    jobs_created,
    jobs_women=0,
    jobs_youth=0,
    turnover=None,
    members_reached=0,
    note="",
) -> FollowUpReport:
    """Record the figures of a financed project at a date (the cooperative, its coach, the delegation,
    head office). Refused on an agreement not signed or terminated, a date in the future or before the
    signature, and jobs of women or young people above the jobs created."""
    agreement = _locked(agreement)
    policy.require(by, "financing.follow_up", agreement)
    if agreement.status == Agreement.Status.DRAFT:
        raise ValidationError(NOT_SIGNED, code="not_signed", params={"reference": agreement.reference})
    if agreement.status == Agreement.Status.TERMINATED:
        raise ValidationError(TERMINATED, code="terminated", params={"reference": agreement.reference})
    errors: dict = {}
    reported_on = _date(reported_on, "reported_on")
    if reported_on > timezone.localdate():
        errors["reported_on"] = _("The figures cannot be dated in the future.")
    elif reported_on < agreement.signed_on:
        errors["reported_on"] = ValidationError(
            _("The figures cannot be dated before the signature of the agreement, on %(date)s."),
            params={"date": agreement.signed_on.isoformat()},
        )
    jobs = _whole(jobs_created, "jobs_created", errors)
    women = _whole(jobs_women, "jobs_women", errors)
    youth = _whole(jobs_youth, "jobs_youth", errors)
    members = _whole(members_reached, "members_reached", errors)
    if "jobs_women" not in errors and women > jobs:
        errors["jobs_women"] = ValidationError(
            _("%(part)s jobs held by women is more than the %(total)s jobs created."),
            params={"part": women, "total": jobs},
        )
    if "jobs_youth" not in errors and youth > jobs:
        errors["jobs_youth"] = ValidationError(
            _("%(part)s jobs held by young people is more than the %(total)s jobs created."),
            params={"part": youth, "total": jobs},
        )
    if turnover in (None, ""):
        turnover = None
    else:
        try:
            turnover = _amount(turnover, "turnover")
        except ValidationError as error:
            errors.update(error.error_dict)
            turnover = None
        if turnover is not None and turnover < 0:
            errors["turnover"] = _("The turnover cannot be negative.")
    if errors:
        raise ValidationError(errors)
    with set_actor(by):
        report = FollowUpReport.objects.create(
            agreement=agreement,
            reported_on=reported_on,
            jobs_created=jobs,
            jobs_women=women,
            jobs_youth=youth,
            turnover=turnover,
            members_reached=members,
            note=(note or "").strip(),
            recorded_by=by,
        )
    return report


# ---------------------------------------------------------------------------
# Late milestones and alerts


def is_late(due_on: dt.date, confirmed: bool, at: dt.date, grace_days: int) -> bool:
    """Whether a milestone is late on day `at`: not confirmed, and `at` is more than `grace_days`
    after its due date."""
    return not confirmed and due_on + dt.timedelta(days=grace_days) < at


def late_condition(at: dt.date) -> Q:
    """The SQL form of `is_late` for milestones of signed agreements: one query reads the rounds'
    grace days, then one condition per distinct number of days."""
    by_days: dict[int, list[int]] = defaultdict(list)
    for pk, days in Round.objects.order_by().values_list("pk", "milestone_grace_days"):
        by_days[days].append(pk)
    late = Q(pk__in=[])
    for days, rounds in by_days.items():
        late |= Q(agreement__allocation__round__in=rounds, due_on__lt=at - dt.timedelta(days=days))
    return Q(confirmed_at__isnull=True, agreement__status=Agreement.Status.SIGNED) & late


def late_milestones(user, *, at) -> QuerySet:
    """The late milestones `user` may see on day `at`, the longest overdue first."""
    at = _date(at, "at")
    return (
        Milestone.objects.visible_to(user)
        .filter(late_condition(at))
        .select_related(
            "agreement__proposal__application__cooperative__province", "agreement__allocation__round"
        )
        .order_by("due_on", "agreement__reference", "order", "pk")
    )


def _alert_link(milestone: Milestone) -> str:
    try:
        page = reverse("financing:late")
    except NoReverseMatch:  # the pages are wired up separately
        page = ""
    return f"{page}{ALERT_ANCHOR}{milestone.pk}"


def _alerted_since(since: dt.datetime) -> set[int]:
    """Milestones alerted on or after `since`, read from the alerts' links."""
    alerted = set()
    links = Notification.objects.filter(link__contains=ALERT_ANCHOR, created_at__gte=since).order_by()
    for link in links.values_list("link", flat=True).distinct():
        try:
            alerted.add(int(link.rsplit(ALERT_ANCHOR, 1)[1]))
        except (IndexError, ValueError):
            continue
    return alerted


ALERT_TITLE = _("Late milestone: %(milestone)s (%(cooperative)s)")
ALERT_BODY = _(
    "The milestone “%(milestone)s” of the grant %(reference)s (%(cooperative)s) was due on %(date)s and "
    "is not confirmed yet."
)


@transaction.atomic
def send_milestone_alerts(*, at) -> int:
    """Tell the coach, the delegates of the province and head office about each milestone late on day
    `at` (for the daily command). A milestone is alerted at most once in `ALERT_EVERY_DAYS` days, so the
    command may run several times a day. Returns how many milestones were alerted."""
    at = _date(at, "at")
    late = list(
        Milestone.objects.select_for_update(of=("self",))
        .filter(late_condition(at))
        .select_related("agreement__proposal__application__cooperative__province")
        .order_by("due_on", "pk")
    )
    if not late:
        return 0
    since = timezone.make_aware(
        dt.datetime.combine(at - dt.timedelta(days=ALERT_EVERY_DAYS - 1), dt.time.min)
    )
    alerted = _alerted_since(since)
    due = [milestone for milestone in late if milestone.pk not in alerted]
    office = head_office()
    people: dict[int, list] = {}
    for milestone in due:
        agreement = milestone.agreement
        if agreement.pk not in people:
            people[agreement.pk] = _unique(coaches(agreement), delegates(agreement), office)
        notify(
            users=people[agreement.pk],
            title=ALERT_TITLE,
            body=ALERT_BODY,
            link=_alert_link(milestone),
            params=_params(agreement, milestone),
        )
    return len(due)


# ---------------------------------------------------------------------------
# Results of a round

FIGURES = (
    "funded",
    "signed",
    "completed",
    "terminated",
    "granted",
    "paid",
    "remaining",
    "jobs_expected",
    "reports",
    "jobs_created",
    "jobs_women",
    "jobs_youth",
    "turnover",
    "members_reached",
    "milestones",
    "milestones_confirmed",
)
MONEY_FIGURES = {"granted", "paid", "remaining", "turnover"}


def _empty() -> dict:
    return {name: (ZERO if name in MONEY_FIGURES else 0) for name in FIGURES}


def round_results(round: Round) -> dict:
    """What the round's money produced, overall and per region (in region order), in five queries:

    * `funded`: agreements not terminated (`signed`, `completed`, `terminated`: by status);
    * `granted`, `remaining`: grants of the agreements not terminated and what remains to pay on
      them; `paid`: every payment made, a terminated agreement's included;
    * `jobs_expected`: jobs the funded proposals promised;
    * from the latest follow-up report of each agreement (`reports`: how many have one):
      `jobs_created`, `jobs_women`, `jobs_youth`, `turnover` (of the reports that give it),
      `members_reached`;
    * `milestones`, `milestones_confirmed` of the agreements not terminated.
    """
    agreements = list(
        Agreement.objects.filter(allocation__round=round)
        .order_by()
        .values(
            "pk", "status", "amount", "proposal__expected_jobs", "proposal__application__cooperative__region"
        )
    )
    paid = dict(
        Disbursement.objects.filter(agreement__allocation__round=round)
        .order_by()
        .values("agreement")
        .annotate(total=Sum("amount"))
        .values_list("agreement", "total")
    )
    latest = FollowUpReport.objects.filter(agreement=OuterRef("agreement")).order_by("-reported_on", "-pk")
    reports = {
        report.agreement_id: report
        for report in FollowUpReport.objects.filter(
            agreement__allocation__round=round, pk=Subquery(latest.values("pk")[:1])
        )
    }
    milestones = {
        row["agreement"]: row
        for row in Milestone.objects.filter(agreement__allocation__round=round)
        .order_by()
        .values("agreement")
        .annotate(total=Count("pk"), confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)))
    }
    regions = Region.objects.in_bulk(
        {row["proposal__application__cooperative__region"] for row in agreements} - {None}
    )
    total = _empty()
    by_region: dict = defaultdict(_empty)
    for row in agreements:
        figures = _empty()
        status = row["status"]
        paid_here = paid.get(row["pk"]) or ZERO
        figures["paid"] = paid_here
        if status == Agreement.Status.TERMINATED:
            figures["terminated"] = 1
        else:
            figures["funded"] = 1
            figures["signed"] = int(status in (Agreement.Status.SIGNED, Agreement.Status.COMPLETED))
            figures["completed"] = int(status == Agreement.Status.COMPLETED)
            figures["granted"] = row["amount"]
            figures["remaining"] = max(row["amount"] - paid_here, ZERO)
            figures["jobs_expected"] = row["proposal__expected_jobs"] or 0
            counts = milestones.get(row["pk"]) or {}
            figures["milestones"] = counts.get("total", 0)
            figures["milestones_confirmed"] = counts.get("confirmed", 0)
        report = reports.get(row["pk"])
        if report is not None:
            figures["reports"] = 1
            figures["jobs_created"] = report.jobs_created
            figures["jobs_women"] = report.jobs_women
            figures["jobs_youth"] = report.jobs_youth
            figures["turnover"] = report.turnover or ZERO
            figures["members_reached"] = report.members_reached
        region = row["proposal__application__cooperative__region"]
        for name, value in figures.items():
            total[name] += value
            by_region[region][name] += value
    ordered = sorted(by_region, key=lambda pk: (regions[pk].code if pk in regions else "~", pk or 0))
    return {
        **total,
        "regions": [{"region": regions.get(pk), **by_region[pk]} for pk in ordered],
    }
