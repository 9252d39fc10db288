"""The daily command that alerts about late milestones."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from mourafaka.core.models import Notification
from mourafaka.financing.followup import ALERT_ANCHOR
from mourafaka.financing.models import Milestone

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def late(financing_round, make_proposal, make_agreement) -> Milestone:
    """Milestone 1 of the SAF-2022-0088 agreement, due 20 days ago (late after the 15 days of grace);
    every other milestone confirmed."""
    agreement = make_agreement(make_proposal(financing_round, "SAF-2022-0088"))
    Milestone.objects.exclude(agreement=agreement, order=1).update(confirmed_at=timezone.now())
    milestone = agreement.milestones.get(order=1)
    Milestone.objects.filter(pk=milestone.pk).update(due_on=TODAY - dt.timedelta(days=20))
    return milestone


def run(*args) -> str:
    out = StringIO()
    call_command("send_milestone_alerts", *args, stdout=out)
    return out.getvalue().strip()


def test_the_command_alerts_today_and_says_how_many(late):
    assert run() == "1 late milestone(s) alerted."
    assert Notification.objects.filter(link__endswith=f"{ALERT_ANCHOR}{late.pk}").exists()
    assert run() == "0 late milestone(s) alerted."


def test_the_command_runs_as_if_on_a_date(late):
    assert run("--date", (TODAY - dt.timedelta(days=5)).isoformat()) == "0 late milestone(s) alerted."
    assert run("--date", TODAY.isoformat()) == "1 late milestone(s) alerted."
    assert run("--date", (TODAY + dt.timedelta(days=3)).isoformat()) == "0 late milestone(s) alerted."
    assert run("--date", (TODAY + dt.timedelta(days=7)).isoformat()) == "1 late milestone(s) alerted."


def test_the_command_refuses_a_date_it_cannot_read(late):
    with pytest.raises(CommandError):
        run("--date", "31/12/2025")
    assert not Notification.objects.filter(link__contains=ALERT_ANCHOR).exists()
