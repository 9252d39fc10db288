"""The trainer's home page lists the sessions they run."""

from django.conf import settings
from django.urls import reverse

from mourafaka.trainings.models import Session


def test_trainer_home_lists_the_sessions_they_run(client_for, persona, trainer_profile, make_session):
    session = make_session(trainers=[trainer_profile])
    other = make_session()
    client = client_for("trainer")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("home")).content.decode()
    assert "My training sessions" in page
    assert reverse("trainings:session", args=[session.pk]) in page
    assert reverse("trainings:session", args=[other.pk]) not in page


def test_cancelled_sessions_are_not_on_the_trainer_home(client_for, trainer_profile, make_session):
    session = make_session(trainers=[trainer_profile], status=Session.Status.CANCELLED)
    page = client_for("trainer").get(reverse("home")).content.decode()
    assert reverse("trainings:session", args=[session.pk]) not in page
