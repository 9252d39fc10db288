"""Pages of group training: who sees what (404 out of scope, 403 read-only), the catalogue, trainers,
sessions and their calendar, planning with trainer warnings."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mourafaka.territory.models import Province, Region
from mourafaka.trainings.models import Session, SessionDay, Trainer


@pytest.fixture
def en(client_for):
    """en("manager") → a client signed in as that persona, reading the pages in English."""

    def make(key: str):
        client = client_for(key)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


@pytest.fixture
def safi_session(make_session, trainer_profile):
    """A two-day accounting session in Safi run by the demo trainer."""
    return make_session(trainers=[trainer_profile])


@pytest.fixture
def guelmim_session(make_session):
    return make_session(province=Province.objects.filter(region__code="10").first())


# ---------------------------------------------------------------------------
# Catalogue


@pytest.mark.parametrize(
    "key", ["admin", "manager", "delegate.safi", "trainer", "consultant", "coach", "cooperative"]
)
def test_the_catalogue_is_read_by_staff_and_cooperatives(en, make_module, key):
    module = make_module("TR-ACC")
    response = en(key).get(reverse("trainings:modules"))
    assert response.status_code == 200
    assert module.name_fr in response.content.decode()
    assert en(key).get(reverse("trainings:module", args=[module.pk])).status_code == 200


def test_the_catalogue_is_not_for_partner_observers(en, make_module):
    make_module("TR-ACC")
    response = en("observer").get(reverse("trainings:modules"))
    assert response.status_code == 403
    assert "catalogue" in response.content.decode()


def test_the_catalogue_filters_by_theme_and_audience(en, make_module):
    make_module("TR-ACC")
    trainers_module = make_module("TR-TOT", audience="trainers")
    page = en("manager").get(reverse("trainings:modules"), {"audience": "trainers"}).content.decode()
    assert trainers_module.name_fr in page and "Module TR-ACC" not in page
    page = (
        en("manager")
        .get(reverse("trainings:modules"), {"theme": "staff", "audience": "members"})
        .content.decode()
    )
    assert "No module matches these filters." in page


def test_a_module_shows_its_qualified_trainers_and_sessions(en, safi_session, trainer_profile):
    page = (
        en("delegate.safi").get(reverse("trainings:module", args=[safi_session.module_id])).content.decode()
    )
    assert trainer_profile.full_name in page
    assert reverse("trainings:session", args=[safi_session.pk]) in page
    assert "pre-test average" in page


# ---------------------------------------------------------------------------
# Trainers


def test_head_office_and_the_delegate_list_the_trainers_of_their_regions(en, trainer_profile):
    assert trainer_profile.full_name in en("manager").get(reverse("trainings:trainers")).content.decode()
    assert (
        trainer_profile.full_name in en("delegate.safi").get(reverse("trainings:trainers")).content.decode()
    )
    assert (
        trainer_profile.full_name
        not in en("delegate.guelmim").get(reverse("trainings:trainers")).content.decode()
    )


def test_a_trainer_outside_the_delegation_answers_404(en, trainer_profile):
    url = reverse("trainings:trainer", args=[trainer_profile.pk])
    assert en("delegate.guelmim").get(url).status_code == 404
    assert (
        en("delegate.guelmim").get(reverse("trainings:trainer_edit", args=[trainer_profile.pk])).status_code
        == 404
    )


def test_a_trainer_sees_their_own_profile_and_cannot_change_it(en, trainer_profile):
    response = en("trainer").get(reverse("trainings:trainers"))
    assert response.status_code == 302
    assert response["Location"] == reverse("trainings:trainer", args=[trainer_profile.pk])
    page = en("trainer").get(response["Location"]).content.decode()
    assert reverse("trainings:trainer_edit", args=[trainer_profile.pk]) not in page
    assert en("trainer").get(reverse("trainings:trainer_edit", args=[trainer_profile.pk])).status_code == 403


@pytest.mark.parametrize("key", ["cooperative", "consultant", "observer"])
def test_other_roles_do_not_list_trainers(en, key):
    assert en(key).get(reverse("trainings:trainers")).status_code == 403


def test_head_office_creates_a_trainer_with_regions_and_modules(en, make_module, marrakech_safi):
    module = make_module("TR-MKT")
    response = en("manager").post(
        reverse("trainings:trainer_new"),
        {"full_name": "Naima Berrada", "organisation": "OFPPT", "regions": [marrakech_safi.pk], "modules": [module.pk],
         "active": "on"},
    )  # fmt: skip
    trainer = Trainer.objects.get(full_name="Naima Berrada")
    assert response.status_code == 302 and response["Location"] == reverse(
        "trainings:trainer", args=[trainer.pk]
    )
    assert list(trainer.regions.all()) == [marrakech_safi] and list(trainer.modules.all()) == [module]


def test_a_trainer_without_region_is_refused_and_nothing_is_saved(en):
    response = en("manager").post(
        reverse("trainings:trainer_new"), {"full_name": "Sans Région", "active": "on"}
    )
    assert response.status_code == 400
    assert "Tick at least one region the trainer covers." in response.content.decode()
    assert not Trainer.objects.filter(full_name="Sans Région").exists()


def test_a_delegate_keeps_its_trainers_in_its_regions(en):
    souss = Region.objects.get(code="09")
    response = en("delegate.safi").post(
        reverse("trainings:trainer_new"), {"full_name": "Ailleurs", "regions": [souss.pk], "active": "on"}
    )
    assert response.status_code == 400
    assert "at least one region of your delegation" in response.content.decode()
    assert not Trainer.objects.filter(full_name="Ailleurs").exists()


def test_a_consultant_cannot_create_a_trainer(en):
    response = en("consultant").get(reverse("trainings:trainer_new"))
    assert response.status_code == 403
    assert "Only head office and the regional delegates manage trainers." in response.content.decode()


# ---------------------------------------------------------------------------
# Sessions: list, calendar, scope


def test_sessions_are_listed_in_the_users_scope(en, safi_session, guelmim_session):
    safi_url = reverse("trainings:session", args=[safi_session.pk])
    guelmim_url = reverse("trainings:session", args=[guelmim_session.pk])
    manager = en("manager").get(reverse("trainings:sessions")).content.decode()
    assert safi_url in manager and guelmim_url in manager
    delegate = en("delegate.safi").get(reverse("trainings:sessions")).content.decode()
    assert safi_url in delegate and guelmim_url not in delegate
    trainer = en("trainer").get(reverse("trainings:sessions")).content.decode()
    assert safi_url in trainer and guelmim_url not in trainer


def test_the_guelmim_delegate_gets_404_on_a_safi_session(en, safi_session):
    client = en("delegate.guelmim")
    for name in (
        "trainings:session",
        "trainings:session_edit",
        "trainings:evaluations",
        "trainings:completion",
    ):
        assert client.get(reverse(name, args=[safi_session.pk])).status_code == 404, name
    day = safi_session.days.first()
    assert client.get(reverse("trainings:attendance", args=[safi_session.pk, day.pk])).status_code == 404


@pytest.mark.parametrize("key", ["consultant", "coach", "juror", "mentor", "observer"])
def test_roles_without_sessions_get_404_on_a_session(en, safi_session, key):
    assert en(key).get(reverse("trainings:session", args=[safi_session.pk])).status_code == 404


@pytest.mark.parametrize("key", ["cooperative", "consultant", "observer"])
def test_roles_without_sessions_do_not_list_them(en, key):
    assert en(key).get(reverse("trainings:sessions")).status_code == 403
    assert en(key).get(reverse("trainings:calendar")).status_code == 403


def test_the_session_list_filters_by_month_and_status(en, safi_session, make_session):
    later = make_session(days=[dt.date(2027, 2, 3)])
    page = en("manager").get(reverse("trainings:sessions"), {"month": "2026-12"}).content.decode()
    assert reverse("trainings:session", args=[safi_session.pk]) in page
    assert reverse("trainings:session", args=[later.pk]) not in page
    page = en("manager").get(reverse("trainings:sessions"), {"status": "cancelled"}).content.decode()
    assert reverse("trainings:session", args=[safi_session.pk]) not in page


def test_a_bad_month_is_explained(en):
    response = en("manager").get(reverse("trainings:sessions"), {"month": "december"})
    assert response.status_code == 200
    assert "Give the month as YYYY-MM" in response.content.decode()


def test_the_calendar_shows_a_month_with_its_sessions_and_the_next_and_previous_months(en, safi_session):
    region = safi_session.region
    response = en("delegate.safi").get(
        reverse("trainings:calendar"), {"region": region.pk, "month": "2026-12"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count(reverse("trainings:session", args=[safi_session.pk])) == 4  # 2 days: grid and list
    assert "month=2026-11" in page and "month=2027-01" in page
    assert f"region={region.pk}" in page


def test_the_calendar_of_another_region_is_empty(en, safi_session):
    other = Region.objects.get(code="10")
    page = (
        en("manager")
        .get(reverse("trainings:calendar"), {"region": other.pk, "month": "2026-12"})
        .content.decode()
    )
    assert reverse("trainings:session", args=[safi_session.pk]) not in page
    assert "No session this month." in page


# ---------------------------------------------------------------------------
# Planning a session


def session_data(module, province, trainers=(), days=(("2027-03-02", "09:00", "16:00"),), **changes) -> dict:
    data = {
        "module": module.pk,
        "region": province.region_id,
        "province": province.pk,
        "venue": "Chambre de commerce, Safi",
        "capacity": "20",
        "members_per_cooperative": "2",
        "completion_rate": "80",
        "trainers": [trainer.pk for trainer in trainers],
        "notes": "",
        "days-TOTAL_FORMS": str(len(days)),
        "days-INITIAL_FORMS": "0",
    }
    for index, (date, starts, ends) in enumerate(days):
        data.update(
            {f"days-{index}-date": date, f"days-{index}-starts_at": starts, f"days-{index}-ends_at": ends}
        )
    data.update(changes)
    return data


def test_the_delegate_plans_a_session_over_two_days(en, make_module, safi, trainer_profile):
    module = make_module("TR-ACC")
    data = session_data(
        module,
        safi,
        [trainer_profile],
        days=(("2027-03-02", "09:00", "16:00"), ("2027-03-03", "09:00", "13:00")),
    )
    response = en("delegate.safi").post(reverse("trainings:session_new"), data)
    session = Session.objects.get(venue="Chambre de commerce, Safi")
    assert response.status_code == 302 and response["Location"] == reverse(
        "trainings:session", args=[session.pk]
    )
    assert [(day.date, day.ends_at) for day in session.days.order_by("date")] == [
        (dt.date(2027, 3, 2), dt.time(16)),
        (dt.date(2027, 3, 3), dt.time(13)),
    ]
    assert list(session.trainers.all()) == [trainer_profile]
    assert session.capacity == 20 and str(session.completion_rate) == "0.80"


def test_adding_a_day_keeps_what_was_typed_and_saves_nothing(en, make_module, safi):
    data = session_data(make_module("TR-ACC"), safi, venue="Salle typée", add_day="1")
    response = en("delegate.safi").post(reverse("trainings:session_new"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Salle typée"' in page and 'value="2027-03-02"' in page
    assert 'name="days-1-date" value="2027-03-03"' in page  # the day after, at the same hours
    assert "Nothing was saved" not in page
    assert not Session.objects.filter(venue="Salle typée").exists()


def test_trainer_warnings_are_shown_before_saving_and_do_not_block(
    en, make_module, safi, safi_session, trainer_profile
):
    module = make_module("TR-MKT")  # the trainer is not qualified for it, and is booked on 7 December
    data = session_data(
        module, safi, [trainer_profile], days=(("2026-12-07", "10:00", "12:00"),), venue="Doublon"
    )
    checked = en("delegate.safi").post(reverse("trainings:session_new"), {**data, "check_trainers": "1"})
    page = checked.content.decode()
    assert checked.status_code == 200 and "Warnings about the trainers" in page
    assert reverse("trainings:session", args=[safi_session.pk]) in page  # the other session
    assert not Session.objects.filter(venue="Doublon").exists()
    live = en("delegate.safi").post(reverse("trainings:session_warnings"), data, HTTP_HX_REQUEST="true")
    assert live.status_code == 200 and "Warnings about the trainers" in live.content.decode()
    saved = en("delegate.safi").post(reverse("trainings:session_new"), data, follow=True)
    assert Session.objects.filter(venue="Doublon").exists()
    assert "Warnings about the trainers" in saved.content.decode()


def test_refusals_of_the_service_are_shown_in_the_form_and_nothing_is_saved(en, make_module, safi):
    data = session_data(
        make_module("TR-ACC"), safi, venue="Deux fois", days=(("2027-03-02", "09:00", "16:00"), ("2027-03-02", "09:00", "12:00"))
    )  # fmt: skip
    response = en("delegate.safi").post(reverse("trainings:session_new"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page and 'value="Deux fois"' in page
    assert not Session.objects.filter(venue="Deux fois").exists()


def test_a_day_ending_before_it_starts_is_refused(en, make_module, safi):
    data = session_data(
        make_module("TR-ACC"), safi, venue="À l'envers", days=(("2027-03-02", "16:00", "09:00"),)
    )
    response = en("delegate.safi").post(reverse("trainings:session_new"), data)
    assert response.status_code == 400
    assert not Session.objects.filter(venue="À l'envers").exists()


def test_a_delegate_cannot_plan_outside_its_delegation(en, make_module):
    guelmim = Province.objects.filter(region__code="10").first()
    response = en("delegate.safi").post(
        reverse("trainings:session_new"), session_data(make_module("TR-ACC"), guelmim)
    )
    assert response.status_code == 400
    assert not Session.objects.filter(province=guelmim).exists()


@pytest.mark.parametrize("key", ["trainer", "cooperative", "consultant"])
def test_only_planners_plan_sessions(en, key):
    assert en(key).get(reverse("trainings:session_new")).status_code == 403


def test_the_trainer_reads_their_session_but_cannot_edit_it(en, safi_session):
    page = en("trainer").get(reverse("trainings:session", args=[safi_session.pk])).content.decode()
    assert reverse("trainings:session_edit", args=[safi_session.pk]) not in page
    assert en("trainer").get(reverse("trainings:session_edit", args=[safi_session.pk])).status_code == 403


def test_the_delegate_edits_a_session_and_its_days(en, safi_session):
    client = en("delegate.safi")
    form = client.get(reverse("trainings:session_edit", args=[safi_session.pk])).content.decode()
    assert 'value="2026-12-07"' in form and 'value="2026-12-08"' in form
    data = session_data(
        safi_session.module, safi_session.province, list(safi_session.trainers.all()),
        days=(("2026-12-07", "09:00", "16:00"), ("2026-12-09", "09:00", "16:00")), capacity="25",
    )  # fmt: skip
    response = client.post(reverse("trainings:session_edit", args=[safi_session.pk]), data)
    assert response.status_code == 302
    safi_session.refresh_from_db()
    assert safi_session.capacity == 25
    assert list(safi_session.days.values_list("date", flat=True)) == [
        dt.date(2026, 12, 7),
        dt.date(2026, 12, 9),
    ]


def test_status_actions_move_the_session_along(en, safi_session):
    client = en("delegate.safi")
    url = reverse("trainings:session_status", args=[safi_session.pk])
    page = client.post(url, {"status": "closed"}, follow=True).content.decode()
    assert "cannot become closed" in page
    client.post(url, {"status": "held"})
    safi_session.refresh_from_db()
    assert safi_session.status == Session.Status.HELD
    assert en("trainer").post(url, {"status": "closed"}).status_code == 403


def test_a_day_of_another_session_answers_404(en, safi_session, make_session, trainer_profile):
    other = make_session(days=[dt.date(2027, 1, 5)], trainers=[trainer_profile])
    foreign_day = SessionDay.objects.get(session=other)
    url = reverse("trainings:attendance", args=[safi_session.pk, foreign_day.pk])
    assert en("trainer").get(url).status_code == 404


@pytest.mark.parametrize(
    "name", ["trainings:sessions", "trainings:calendar", "trainings:trainers", "trainings:modules"]
)
def test_list_pages_run_a_fixed_number_of_queries(en, make_session, trainer_profile, name):
    client = en("delegate.safi")
    url = reverse(name) + ("?month=2026-12" if name == "trainings:calendar" else "")
    make_session(trainers=[trainer_profile])
    client.get(url)  # warm the caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for day in range(10, 16):
        make_session(days=[dt.date(2026, 12, day)], trainers=[trainer_profile])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
