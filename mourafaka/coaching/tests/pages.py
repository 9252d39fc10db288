"""Helpers shared by the coaching page tests: English clients and a small engagement with visits."""

import datetime as dt
import itertools

from django.conf import settings
from django.test import Client
from django.utils import timezone

from mourafaka.accounts.models import Role, User
from mourafaka.coaching.models import Coach, Engagement, Visit

_serial = itertools.count(1)


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def other_coach() -> User:
    """An active coach who coaches nothing."""
    user = User.objects.create_user(
        f"coach.pages{next(_serial)}@example.org", full_name="Other Coach", role=Role.COACH
    )
    Coach.objects.create(user=user)
    return user


def add_visits(engagement, *, today: dt.date | None = None, extra: int = 0) -> list[Visit]:
    """Visit 1 overdue (60 days ago), visit 2 today, visit 3 in three months, then `extra` more later."""
    today = today or timezone.localdate()
    offsets = [-60, 0, 90] + [120 + 30 * k for k in range(extra)]
    return [
        Visit.objects.create(
            engagement=engagement,
            number=number,
            planned_on=today + dt.timedelta(days=offset),
            theme=f"Theme of visit {number}",
        )
        for number, offset in enumerate(offsets, start=1)
    ]


def fresh_engagement(enrolment, *, coach, starts_on=dt.date(2025, 1, 6)) -> Engagement:
    """A new active engagement for `enrolment`, without visits. Earlier ones (the demo's, whose
    confirmed visits are protected by their deliverables) are stopped rather than deleted."""
    Engagement.objects.filter(enrolment=enrolment, status=Engagement.Status.ACTIVE).update(
        status=Engagement.Status.STOPPED
    )
    return Engagement.objects.create(enrolment=enrolment, coach=coach, starts_on=starts_on)
