"""What the calls for applications add to a cooperative's timeline (registered in `apps.ready`).

Four queries whatever the cooperative's past: applications submitted, eligibility outcomes,
published ranking outcomes, and enrolments in an edition (with withdrawals).
"""

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from mourafaka.cooperatives.timeline import Event, timeline_source
from mourafaka.programmes.models import Enrolment

from .models import Application, EligibilityCheck, RankingEntry, RankingVersion


def _application_url(application_id: int) -> str:
    return reverse("calls:application", args=[application_id])


@timeline_source
def applications(cooperative, *, limit: int) -> Iterable[Event]:
    submitted = (
        Application.objects.filter(cooperative=cooperative, submitted_at__isnull=False)
        .select_related("call", "submitted_by")
        .order_by("-submitted_at")[:limit]
    )
    for application in submitted:
        yield Event(
            at=application.submitted_at,
            kind="application",
            title=_("Application submitted to the call %(call)s") % {"call": application.call.name},
            actor=application.submitted_by,
            url=_application_url(application.pk),
        )


@timeline_source
def eligibility(cooperative, *, limit: int) -> Iterable[Event]:
    checks = (
        EligibilityCheck.objects.filter(application__cooperative=cooperative, current=True)
        .select_related("application__call")
        .order_by("-evaluated_at")[:limit]
    )
    for check in checks:
        call = check.application.call.name
        title = (
            _("Eligible to the call %(call)s") if check.eligible else _("Not eligible to the call %(call)s")
        )
        yield Event(
            at=check.evaluated_at,
            kind="eligibility",
            title=title % {"call": call},
            url=_application_url(check.application_id),
        )


@timeline_source
def ranking_outcomes(cooperative, *, limit: int) -> Iterable[Event]:
    """The outcome in the frozen ranking of each call whose results are published."""
    entries = (
        RankingEntry.objects.filter(
            application__cooperative=cooperative,
            version__status=RankingVersion.Status.FROZEN,
            version__call__results_published_at__isnull=False,
        )
        .select_related("version__call")
        .order_by("-version__call__results_published_at", "-version__number")[:limit]
    )
    seen_calls = set()
    for entry in entries:
        call = entry.version.call
        if call.pk in seen_calls:
            continue  # an older frozen version of the same call
        seen_calls.add(call.pk)
        yield Event(
            at=call.results_published_at,
            kind="ranking",
            title=_("Ranking of the call %(call)s: %(outcome)s")
            % {"call": call.name, "outcome": entry.get_outcome_display()},
            detail=_("Rank %(rank)s") % {"rank": entry.position} if entry.position else "",
            url=_application_url(entry.application_id),
        )


@timeline_source
def enrolments(cooperative, *, limit: int) -> Iterable[Event]:
    for enrolment in (
        Enrolment.objects.filter(cooperative=cooperative)
        .select_related("edition")
        .order_by("-started_on")[:limit]
    ):
        edition = enrolment.edition.name
        yield Event(
            at=enrolment.started_on,
            kind="enrolment",
            title=_("Enrolled in %(edition)s (%(source)s)")
            % {"edition": edition, "source": enrolment.get_source_display()},
        )
        if enrolment.withdrawn_on:
            yield Event(
                at=enrolment.withdrawn_on,
                kind="withdrawal",
                title=_("Withdrawn from %(edition)s") % {"edition": edition},
                detail=enrolment.withdrawal_reason,
            )
