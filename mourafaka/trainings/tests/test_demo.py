"""The demo training, loaded by the root conftest with the whole demo (`load_demo`)."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.utils import timezone

from mourafaka.accounts.models import User
from mourafaka.core.demo import load_demo
from mourafaka.diagnostics.models import CapacityPlanItem, Diagnostic
from mourafaka.trainings import attendance, counts
from mourafaka.trainings.certificates import find_certificate
from mourafaka.trainings.demo import load_trainings, previous_workday, workdays
from mourafaka.trainings.models import Attendance, Certificate, Registration, Session, Trainer

pytestmark = pytest.mark.django_db

Status = Registration.Status


def snapshot() -> tuple:
    return tuple(
        model.objects.count()
        for model in (Trainer, Session, Registration, Attendance, Certificate, Diagnostic, User, LogEntry)
    )


def session_of(module_code: str) -> Session:
    return Session.objects.get(module__code=module_code)


def statuses(session: Session) -> list[str]:
    return list(session.registrations.order_by("priority").values_list("status", flat=True))


def test_loading_the_demo_again_duplicates_nothing():
    before = snapshot()
    assert load_trainings() == 0
    load_demo()
    assert snapshot() == before


def test_the_demo_trainer_has_a_profile_in_two_regions_and_runs_the_safi_sessions(persona):
    trainer = persona("trainer")
    profile = trainer.trainer_profile
    assert profile.full_name == "Youssef Amrani"
    assert set(profile.regions.values_list("code", flat=True)) == {"07", "06"}
    assert {"TR-ACC", "TR-MKT", "TR-COST"} <= set(profile.modules.values_list("code", flat=True))
    runs = set(Session.objects.visible_to(trainer).values_list("module__code", flat=True))
    assert runs == {"TR-ACC", "TR-COST", "TR-MKT"}
    assert Trainer.objects.filter(user__isnull=True).count() >= 5


def test_the_demo_adds_a_validated_diagnostic_without_changing_the_diagnostics_demo():
    def status_of(number):
        return Diagnostic.objects.get(enrolment__cooperative__registration_number=number).status

    assert status_of("SAF-2022-0088") == Diagnostic.Status.VALIDATED
    assert status_of("MAR-2022-0141") == Diagnostic.Status.DRAFT
    assert status_of("SAF-2021-0120") == Diagnostic.Status.VALIDATED
    needs = set(
        CapacityPlanItem.objects.filter(
            diagnostic__enrolment__cooperative__registration_number="SAF-2021-0120",
            kind=CapacityPlanItem.Kind.TRAINING,
        ).values_list("code", flat=True)
    )
    assert {"TR-ACC", "TR-MKT", "TR-COST"} <= needs


def test_the_held_accounting_session_was_proposed_from_the_plans_and_certified_its_completers():
    session = session_of("TR-ACC")
    today = timezone.localdate()
    assert session.status == Session.Status.HELD
    assert session.days.count() == 2 and session.days.order_by("-date").first().date < today
    from_plans = session.registrations.filter(source=Registration.Source.PLAN)
    assert from_plans.count() == 6 and not from_plans.filter(plan_item__isnull=True).exists()
    assert session.registrations.filter(source=Registration.Source.WALK_IN).count() == 1
    progress = attendance.session_progress(session)
    completed = {pk for pk, found in progress.items() if found.completed}
    certified = set(
        Certificate.objects.filter(registration__session=session).values_list("registration", flat=True)
    )
    assert certified == completed and len(completed) == len(progress) - 1, "the one who missed a day has none"
    assert not session.registrations.filter(pre_test_score__isnull=True).exists()
    assert not session.registrations.filter(satisfaction={}).exists()
    assert set(
        Certificate.objects.filter(registration__session=session).values_list("language", flat=True)
    ) == {
        "fr",
        "ar",
    }


def test_the_session_in_progress_waits_for_its_attendance():
    session = session_of("TR-COST")
    today = timezone.localdate()
    assert list(session.days.values_list("date", flat=True)) == [previous_workday(today), today]
    assert statuses(session) and set(statuses(session)) == {Status.CONFIRMED}
    assert not Attendance.objects.filter(registration__session=session).exists()


def test_the_upcoming_session_has_invitations_one_declined_and_one_waitlisted():
    session = session_of("TR-MKT")
    assert session.status == Session.Status.PLANNED
    assert session.days.order_by("date").first().date > timezone.localdate()
    listed = statuses(session)
    assert listed.count(Status.DECLINED) == 1 and listed.count(Status.WAITLISTED) == 1
    assert listed.count(Status.INVITED) + listed.count(Status.CONFIRMED) == session.capacity


def test_the_trainers_and_staff_sessions_are_closed_with_everyone_certified():
    for code, expected in (("TOT-TRAINERS", 3), ("STAFF-PROG", 2)):
        session = session_of(code)
        assert session.status == Session.Status.CLOSED
        assert Certificate.objects.filter(registration__session=session).count() == expected


def test_every_demo_certificate_is_found_by_its_code_and_verifies(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    certificates = list(Certificate.objects.all())
    assert len(certificates) >= 10
    for certificate in certificates:
        assert find_certificate(f"  {certificate.code.lower()} ") == certificate
    shown = client.get(f"/verify/{certificates[0].code}/")
    assert shown.status_code == 200
    assert certificates[0].holder_name in shown.content.decode()


def test_the_indicator_counts_see_the_demo_training():
    assert counts.members_trained() >= 1
    assert counts.members_trained() == Certificate.objects.filter(registration__member__isnull=False).count()
    assert counts.trainers_trained() == 3
    assert counts.staff_trained() == 2


def test_demo_dates_skip_the_weekend():
    friday, monday = dt.date(2026, 11, 27), dt.date(2026, 11, 30)
    assert workdays(friday, 3) == [friday, monday, dt.date(2026, 12, 1)]
    assert previous_workday(monday) == friday
    assert previous_workday(dt.date(2026, 12, 1)) == monday


@pytest.mark.parametrize(
    "model", ["module", "trainer", "session", "registration", "attendance", "certificate"]
)
def test_the_back_office_lists_and_opens_the_demo_training(client_for, model):
    from mourafaka.trainings import models

    client = client_for("admin")
    assert client.get(f"/admin/trainings/{model}/").status_code == 200
    record = getattr(models, model.capitalize()).objects.first()
    assert client.get(f"/admin/trainings/{model}/{record.pk}/change/").status_code == 200
    assert client.get(f"/admin/trainings/{model}/?q=a").status_code == 200
