"""The training counts that feed the programme's indicators: unique members trained (by sex, age band
and region), trainers trained and staff trained.

A person counts once however many sessions they complete. A registration is complete under the rule of
`attendance.completion_rule`, computed in SQL by `attendance.with_completion` (pinned against the
Python rule by tests/test_counts.py). Sessions cancelled do not count.

Filters: `edition`; `since`/`until` on the last day of the session; `region` is the member's
region (their cooperative's) for members, and the region where the session is held for trainers and
staff. A member's age band is their age on the last day of the first session they completed.
"""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery

from .attendance import with_completion
from .models import Module, Registration, Session, SessionDay

AGE_BANDS = ("under_25", "25_34", "35_44", "45_plus", "unknown")
SEXES = ("F", "M")


# ---------------------------------------------------------------------------
# Completed registrations


def with_last_day(registrations: QuerySet) -> QuerySet:
    """`registrations` annotated with `last_day`, the last day of their session."""
    last_day = (
        SessionDay.objects.filter(session=OuterRef("session_id"))
        .order_by()
        .values("session")
        .annotate(last=Max("date"))
        .values("last")
    )
    return registrations.annotate(last_day=Subquery(last_day))


def completed_registrations(
    audience: str, *, edition=None, region=None, since: dt.date | None = None, until: dt.date | None = None
) -> QuerySet:
    """Registrations of sessions for `audience` (not cancelled) that are complete, filtered."""
    registrations = Registration.objects.filter(session__module__audience=audience).exclude(
        session__status=Session.Status.CANCELLED
    )
    if edition is not None:
        registrations = registrations.filter(session__edition=edition)
    if region is not None:
        path = "member__region" if audience == Module.Audience.MEMBERS else "session__region"
        registrations = registrations.filter(**{path: region})
    registrations = with_last_day(with_completion(registrations)).filter(completed=True)
    if since is not None:
        registrations = registrations.filter(last_day__gte=since)
    if until is not None:
        registrations = registrations.filter(last_day__lte=until)
    return registrations


def _distinct(registrations: QuerySet, person: str) -> int:
    return registrations.aggregate(count=Count(person, distinct=True))["count"]


# ---------------------------------------------------------------------------
# The counts


def members_trained(*, edition=None, region=None, since=None, until=None) -> int:
    """Distinct cooperative members who completed a session of a members' module."""
    registrations = completed_registrations(
        Module.Audience.MEMBERS, edition=edition, region=region, since=since, until=until
    )
    return _distinct(registrations, "member_id")


def age_band(birth_date: dt.date | None, on: dt.date) -> str:
    if birth_date is None:
        return "unknown"
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    if age < 25:
        return "under_25"
    if age < 35:
        return "25_34"
    if age < 45:
        return "35_44"
    return "45_plus"


def breakdown(rows: Iterable[tuple]) -> dict:
    """Counts of unique members from rows (member id, sex, birth date, region code, last day of a
    session completed); a member appearing in several rows is counted once, with the age they had
    at the first session they completed."""
    first = {}
    for member_id, sex, birth_date, region_code, last_day in rows:
        if member_id not in first or last_day < first[member_id][3]:
            first[member_id] = (sex, birth_date, region_code, last_day)
    by_sex = dict.fromkeys(SEXES, 0)
    by_age_band = dict.fromkeys(AGE_BANDS, 0)
    by_region: dict[str, int] = {}
    for sex, birth_date, region_code, last_day in first.values():
        by_sex[sex] = by_sex.get(sex, 0) + 1
        by_age_band[age_band(birth_date, last_day)] += 1
        by_region[region_code] = by_region.get(region_code, 0) + 1
    return {
        "total": len(first),
        "by_sex": by_sex,
        "by_age_band": by_age_band,
        "by_region": dict(sorted(by_region.items())),
    }


def members_trained_breakdown(*, edition=None, region=None, since=None, until=None) -> dict:
    """`total`, `by_sex` (F, M), `by_age_band` (under_25, 25_34, 35_44, 45_plus, unknown) and
    `by_region` (region code) of the distinct members trained; one query."""
    registrations = completed_registrations(
        Module.Audience.MEMBERS, edition=edition, region=region, since=since, until=until
    )
    rows = registrations.values_list(
        "member_id", "member__sex", "member__birth_date", "member__region__code", "last_day"
    )
    return breakdown(rows)


def trainers_trained(*, edition=None, region=None, since=None, until=None) -> int:
    """Distinct trainers who completed a training-of-trainers session."""
    registrations = completed_registrations(
        Module.Audience.TRAINERS, edition=edition, region=region, since=since, until=until
    )
    return _distinct(registrations, "trainer_id")


def staff_trained(*, edition=None, region=None, since=None, until=None) -> int:
    """Distinct office staff members who completed a staff-training session."""
    registrations = completed_registrations(
        Module.Audience.STAFF, edition=edition, region=region, since=since, until=until
    )
    return _distinct(registrations, "staff_id")
