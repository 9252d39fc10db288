"""REST API of group training: each endpoint for the roles allowed, 404 outside the scope, 403 with the
policy's reason, bad input answered 400 with the service's message, and the OpenAPI schema."""

import datetime as dt

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from mourafaka.territory.models import Region
from mourafaka.trainings import certificates
from mourafaka.trainings.models import Attendance, Certificate, Module, Registration, SessionDay

from .people import enrol, new_member

FIRST, SECOND = dt.date(2026, 12, 7), dt.date(2026, 12, 8)
Status = Registration.Status


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def api_for(persona):
    def make(key: str) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_authenticate(persona(key))
        return client

    return make


@pytest.fixture
def session(make_session, trainer_profile):
    """A Safi session run by the demo trainer."""
    return make_session(days=(FIRST, SECOND), trainers=[trainer_profile])


@pytest.fixture
def participant(session):
    """A member of SAF-2022-0088 (the demo cooperative representative's), invited."""
    return enrol(session, member=new_member(cin="AB123456", phone="+212612345678"), status=Status.INVITED)


@pytest.fixture
def completer(session):
    return enrol(session, member=new_member(), pattern=[True, True])


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def detail(response) -> str:
    return " ".join(str(message) for message in response.json()["detail"])


# ---------------------------------------------------------------------------
# Modules


def test_modules_are_read_by_every_role_but_observers_and_written_by_head_office(api_for, make_module):
    module = make_module("TR-ACC")
    for key in ("trainer", "cooperative", "delegate.guelmim", "coach"):
        assert module.pk in ids(api_for(key).get("/api/v1/training-modules/", {"audience": "members"}))
    refused = api_for("observer").get("/api/v1/training-modules/")
    assert refused.status_code == 403 and "catalogue" in refused.json()["detail"]

    payload = {"code": "TR-NEW", "name_fr": "Nouveau module", "theme": "marketing", "duration_days": 2}
    denied = api_for("delegate.safi").post("/api/v1/training-modules/", payload)
    assert denied.status_code == 403 and denied.json()["detail"] == "Only the head office can do this."
    created = api_for("manager").post("/api/v1/training-modules/", payload)
    assert created.status_code == 201, created.content
    changed = api_for("manager").patch(f"/api/v1/training-modules/{created.json()['id']}/", {"active": False})
    assert changed.json()["active"] is False and not Module.objects.get(code="TR-NEW").active
    assert api_for("manager").delete(f"/api/v1/training-modules/{created.json()['id']}/").status_code == 403


def test_module_averages(api_for, completer):
    completer.pre_test_score, completer.post_test_score = 40, 70
    completer.save()
    url = f"/api/v1/training-modules/{completer.session.module_id}/averages/"
    data = api_for("manager").get(url, {"region": completer.session.region_id}).json()
    assert data["participants"] >= 1 and data["pre"] is not None
    assert api_for("manager").get(url, {"region": "nowhere"}).status_code == 400


# ---------------------------------------------------------------------------
# Trainers


def test_trainers_are_scoped_and_managed_by_head_office_and_delegates(api_for, trainer_profile, persona):
    assert ids(api_for("trainer").get("/api/v1/trainers/")) == {trainer_profile.pk}
    assert trainer_profile.pk in ids(api_for("delegate.safi").get("/api/v1/trainers/"))
    assert api_for("delegate.guelmim").get(f"/api/v1/trainers/{trainer_profile.pk}/").status_code == 404
    assert ids(api_for("cooperative").get("/api/v1/trainers/")) == set()

    safi_region = Region.objects.get(code="07")
    payload = {"full_name": "Nadia Formatrice", "regions": [safi_region.pk], "phone": "+212600000001"}
    created = api_for("delegate.safi").post("/api/v1/trainers/", payload, format="json")
    assert created.status_code == 201, created.content
    elsewhere = Region.objects.get(code="01")
    outside = api_for("delegate.safi").post(
        "/api/v1/trainers/", {**payload, "regions": [elsewhere.pk]}, format="json"
    )
    assert outside.status_code == 400 and "region of your delegation" in str(outside.json()["regions"])
    refused = api_for("trainer").patch(f"/api/v1/trainers/{trainer_profile.pk}/", {"bio": "x"}, format="json")
    assert refused.status_code == 403
    assert "Only head office and the regional delegates manage trainers." in refused.json()["detail"]


# ---------------------------------------------------------------------------
# Sessions


def test_a_delegate_plans_a_session_with_its_days(api_for, make_module, trainer_profile, safi, edition):
    payload = {
        "module": make_module("TR-ACC").pk, "edition": edition.pk, "region": safi.region_id, "province": safi.pk,
        "venue": "Salle communale", "capacity": 12, "trainers": [trainer_profile.pk],
        "days": [{"date": "2031-11-03"}, {"date": "2031-11-04", "starts_at": "08:30", "ends_at": "12:00"}],
    }  # fmt: skip
    created = api_for("delegate.safi").post("/api/v1/training-sessions/", payload, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert [(day["date"], day["starts_at"]) for day in data["days"]] == [
        ("2031-11-03", "09:00:00"),
        ("2031-11-04", "08:30:00"),
    ]
    assert data["places_left"] == 12 and data["status"] == "planned" and data["warnings"] == []
    assert data["first_day"] == "2031-11-03" and data["members_per_cooperative"] == 2

    no_day = api_for("delegate.safi").post(
        "/api/v1/training-sessions/", {**payload, "days": []}, format="json"
    )
    assert no_day.status_code == 400 and "Give at least one day." in str(no_day.json())
    refused = api_for("trainer").post("/api/v1/training-sessions/", payload, format="json")
    assert refused.status_code == 403 and "plan sessions" in refused.json()["detail"]


def test_sessions_are_scoped_and_a_trainer_sees_those_they_run(api_for, session, make_session):
    other = make_session()  # nobody runs it
    assert {session.pk, other.pk} <= ids(api_for("delegate.safi").get("/api/v1/training-sessions/"))
    mine = ids(api_for("trainer").get("/api/v1/training-sessions/"))
    assert session.pk in mine and other.pk not in mine
    assert api_for("delegate.guelmim").get(f"/api/v1/training-sessions/{session.pk}/").status_code == 404
    assert ids(api_for("cooperative").get("/api/v1/training-sessions/")) == set()
    in_december = ids(api_for("manager").get("/api/v1/training-sessions/", {"month": "2026-12"}))
    assert session.pk in in_december
    assert session.pk not in ids(api_for("manager").get("/api/v1/training-sessions/", {"month": "2027-01"}))
    assert api_for("manager").get("/api/v1/training-sessions/", {"month": "décembre"}).status_code == 400


def test_a_session_is_changed_and_moves_through_its_statuses(api_for, session):
    client = api_for("delegate.safi")
    url = f"/api/v1/training-sessions/{session.pk}/"
    changed = client.patch(url, {"venue": "Chambre de commerce", "capacity": 30}, format="json")
    assert changed.status_code == 200 and changed.json()["venue"] == "Chambre de commerce"
    assert api_for("trainer").patch(url, {"venue": "x"}, format="json").status_code == 403
    held = client.post(f"{url}status/", {"status": "held"})
    assert held.status_code == 200 and held.json()["status"] == "held"
    back = client.post(f"{url}status/", {"status": "planned"})
    assert back.status_code == 400 and back.json()["detail"]


def test_invitations_reminders_and_proposals(api_for, session, participant):
    client = api_for("manager")
    url = f"/api/v1/training-sessions/{session.pk}/"
    proposed = enrol(session, member=new_member(), status=Status.PROPOSED)
    assert client.post(f"{url}propose/").status_code == 200
    invited = client.post(f"{url}invite/", {"registrations": [proposed.pk]}, format="json")
    assert invited.json() == {"count": 1}
    assert Registration.objects.get(pk=proposed.pk).status == Status.INVITED
    assert client.post(f"{url}remind/").json()["count"] >= 2
    assert api_for("trainer").post(f"{url}remind/").status_code == 403


def test_progress_and_averages_of_a_session(api_for, session, completer, participant):
    progress = api_for("trainer").get(f"/api/v1/training-sessions/{session.pk}/progress/").json()
    by_registration = {row["registration"]: row for row in progress}
    assert by_registration[completer.pk]["completed"] is True
    assert by_registration[participant.pk] | {"person": ""} == {
        "registration": participant.pk, "person": "", "status": "invited", "days_present": 0, "days_total": 2,
        "days_needed": 2, "completed": False,
    }  # fmt: skip
    averages = api_for("trainer").get(f"/api/v1/training-sessions/{session.pk}/averages/").json()
    assert set(averages) >= {"participants", "pre", "post", "gain", "satisfaction", "answered"}


# ---------------------------------------------------------------------------
# Participants


def test_adding_a_participant_to_a_full_session_puts_them_on_the_waiting_list(api_for, make_session):
    session = make_session(capacity=1)
    enrol(session, member=new_member(), status=Status.INVITED)
    payload = {"session": session.pk, "member": new_member().pk}
    added = api_for("delegate.safi").post("/api/v1/training-registrations/", payload)
    assert added.status_code == 201, added.content
    assert added.json()["status"] == "waitlisted" and "waiting list" in added.json()["message"]
    again = api_for("delegate.safi").post("/api/v1/training-registrations/", payload)
    assert again.status_code == 400 and "already on the list" in detail(again)
    refused = api_for("trainer").post("/api/v1/training-registrations/", {"session": session.pk, "member": 1})
    assert refused.status_code in (400, 403)


def test_the_cooperative_sees_only_its_members_and_answers_for_them(api_for, session, participant):
    other = enrol(session, member=new_member("SAF-2021-0120"), status=Status.INVITED)
    client = api_for("cooperative")
    seen = ids(client.get("/api/v1/training-registrations/", {"session": session.pk}))
    assert seen == {participant.pk}
    assert client.get(f"/api/v1/training-registrations/{other.pk}/").status_code == 404
    answered = client.post(f"/api/v1/training-registrations/{participant.pk}/answer/", {"accepted": True})
    assert answered.status_code == 200 and answered.json()["status"] == "confirmed"
    person = answered.json()["person"]
    assert person["cin"] == "AB123456" and person["cooperative"] == participant.member.cooperative_id


def test_personal_fields_are_masked_for_a_trainer(api_for, participant):
    person = api_for("trainer").get(f"/api/v1/training-registrations/{participant.pk}/").json()["person"]
    assert (
        person["cin"] == "AB••••56" and person["phone"] == "+212612345678"
    )  # a trainer calls, never reads CINs


def test_registrations_are_hidden_outside_the_delegation(api_for, participant):
    assert (
        api_for("delegate.guelmim").get(f"/api/v1/training-registrations/{participant.pk}/").status_code
        == 404
    )
    assert participant.pk not in ids(api_for("delegate.guelmim").get("/api/v1/training-registrations/"))


def test_cancel_scores_and_satisfaction(api_for, session, participant, completer):
    client = api_for("trainer")
    scores = client.post(
        f"/api/v1/training-registrations/{completer.pk}/scores/", {"pre": "45", "post": "80.5"}
    )
    assert scores.status_code == 200 and scores.json()["post_test_score"] == "80.50"
    bad = client.post(f"/api/v1/training-registrations/{completer.pk}/scores/", {"post": "150"})
    assert bad.status_code == 400 and "from 0 to 100" in detail(bad)
    unknown = client.post(
        f"/api/v1/training-registrations/{completer.pk}/satisfaction/",
        {"answers": {"nope": 3}},
        format="json",
    )
    assert unknown.status_code == 400 and unknown.json()["detail"]
    assert client.post(f"/api/v1/training-registrations/{participant.pk}/cancel/").status_code == 403
    cancelled = api_for("delegate.safi").post(f"/api/v1/training-registrations/{participant.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


# ---------------------------------------------------------------------------
# Attendance


def test_attendance_is_recorded_corrected_and_listed(api_for, session, participant):
    day = session.days.get(date=FIRST)
    client = api_for("trainer")
    created = client.post(
        "/api/v1/training-attendance/", {"registration": participant.pk, "day": day.pk, "present": True}
    )
    assert created.status_code == 201, created.content
    assert created.json()["source"] == "room" and created.json()["date"] == "2026-12-07"
    corrected = api_for("delegate.safi").patch(
        f"/api/v1/training-attendance/{created.json()['id']}/", {"present": False}
    )
    assert corrected.status_code == 200
    assert (corrected.json()["present"], corrected.json()["source"]) == (False, "staff")
    listed = ids(client.get("/api/v1/training-attendance/", {"session": session.pk, "day": day.pk}))
    assert listed == {created.json()["id"]}
    assert (
        api_for("delegate.guelmim").get(f"/api/v1/training-attendance/{created.json()['id']}/").status_code
        == 404
    )
    assert api_for("coach").post(
        "/api/v1/training-attendance/", {"registration": participant.pk, "day": day.pk, "present": True}
    ).status_code in (400, 403)


def test_attendance_for_a_day_of_another_session_is_refused(api_for, session, participant, make_session):
    other_day = SessionDay.objects.filter(session=make_session(days=(dt.date(2026, 12, 20),))).get()
    refused = api_for("manager").post(
        "/api/v1/training-attendance/", {"registration": participant.pk, "day": other_day.pk, "present": True}
    )
    assert refused.status_code == 400 and detail(refused) == "This day is not a day of the session."
    assert not Attendance.objects.filter(registration=participant).exists()


def test_a_walk_in_is_added_by_cin_and_present_on_the_day(api_for, session):
    newcomer = new_member("SAF-2021-0120", cin="WK123456")
    day = session.days.get(date=SECOND)
    added = api_for("trainer").post(
        f"/api/v1/training-sessions/{session.pk}/walk-in/", {"cin": "wk 123456", "day": day.pk}, format="json"
    )
    assert added.status_code == 201, added.content
    registration = Registration.objects.get(pk=added.json()["id"])
    assert (registration.member, registration.source, registration.status) == (
        newcomer,
        "walk_in",
        "confirmed",
    )
    assert Attendance.objects.get(registration=registration).day == day
    unknown = api_for("trainer").post(f"/api/v1/training-sessions/{session.pk}/walk-in/", {"cin": "ZZ000000"})
    assert unknown.status_code == 400 and unknown.json()["cin"] == ["No member has this CIN."]


# ---------------------------------------------------------------------------
# Certificates


def test_a_certificate_below_the_completion_rule_is_refused(api_for, participant):
    Attendance.objects.create(registration=participant, day=participant.session.days.get(date=FIRST))
    refused = api_for("trainer").post("/api/v1/training-certificates/", {"registration": participant.pk})
    assert refused.status_code == 400
    assert "attended 1 of 2 days; 2 needed." in detail(refused)
    assert not Certificate.objects.filter(registration=participant).exists()


def test_certificates_are_issued_downloaded_and_revoked(api_for, session, completer, participant):
    issued = api_for("trainer").post(
        f"/api/v1/training-sessions/{session.pk}/issue-certificates/", {"language": "ar"}
    )
    assert issued.status_code == 200, issued.content
    assert [item["registration"] for item in issued.json()] == [completer.pk]
    certificate = issued.json()[0]
    assert certificate["language"] == "ar" and certificate["verification_url"].endswith(
        f"/verify/{certificate['code']}/"
    )
    url = f"/api/v1/training-certificates/{certificate['id']}/"

    pdf = api_for("manager").get(f"{url}pdf/", {"language": "fr"})
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    assert api_for("delegate.guelmim").get(url).status_code == 404
    assert api_for("delegate.guelmim").get(f"{url}pdf/").status_code == 404

    assert api_for("trainer").post(f"{url}revoke/", {"reason": "Erreur"}).status_code == 403
    no_reason = api_for("delegate.safi").post(f"{url}revoke/", {"reason": " "})
    assert no_reason.status_code == 400 and "reason" in detail(no_reason)
    revoked = api_for("delegate.safi").post(f"{url}revoke/", {"reason": "Présence mal saisie"})
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert certificate["id"] in ids(
        api_for("manager").get("/api/v1/training-certificates/", {"revoked": "true"})
    )


def test_the_cooperative_reads_its_members_certificates_only(api_for, session, completer):
    other = enrol(session, member=new_member("SAF-2021-0120"), pattern=[True, True])
    api_for("manager").post(f"/api/v1/training-sessions/{session.pk}/issue-certificates/")
    listed = (
        api_for("cooperative")
        .get("/api/v1/training-certificates/", {"session": session.pk})
        .json()["results"]
    )
    assert [item["registration"] for item in listed] == [completer.pk]
    hidden = Certificate.objects.get(registration=other)
    assert api_for("cooperative").get(f"/api/v1/training-certificates/{hidden.pk}/").status_code == 404


# ---------------------------------------------------------------------------
# Counts


def test_counts_for_head_office_and_a_delegate_region(api_for, session, completer):
    data = api_for("manager").get("/api/v1/training-counts/").json()
    assert data["members_trained"]["total"] >= 1 and set(data) == {
        "members_trained",
        "trainers_trained",
        "staff_trained",
    }
    assert set(data["members_trained"]) == {"total", "by_sex", "by_age_band", "by_region"}
    delegate = api_for("delegate.safi")
    assert delegate.get("/api/v1/training-counts/").status_code == 400
    region = Region.objects.get(code="07")
    assert (
        delegate.get("/api/v1/training-counts/", {"region": region.pk}).json()["members_trained"]["total"]
        >= 1
    )
    assert (
        api_for("delegate.guelmim").get("/api/v1/training-counts/", {"region": region.pk}).status_code == 400
    )
    for key in ("trainer", "cooperative", "coach"):
        assert api_for(key).get("/api/v1/training-counts/").status_code == 403


# ---------------------------------------------------------------------------
# Schema


def test_the_schema_describes_the_training_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in (
        "/api/v1/training-modules/", "/api/v1/trainers/", "/api/v1/training-sessions/{id}/walk-in/",
        "/api/v1/training-registrations/{id}/answer/", "/api/v1/training-attendance/",
        "/api/v1/training-certificates/{id}/revoke/", "/api/v1/training-counts/",
    ):  # fmt: skip
        assert path in paths
    pdf = paths["/api/v1/training-certificates/{id}/pdf/"]["get"]["responses"]["200"]["content"]
    assert list(pdf) == ["application/pdf"]
    assert "TrainingRegistrationStatusEnum" in schema["components"]["schemas"]


def test_lists_run_a_fixed_number_of_queries(api_for, make_session, persona):
    client = api_for("manager")

    def queries_for(url: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    urls = ("/api/v1/training-sessions/", "/api/v1/training-registrations/", "/api/v1/training-certificates/")
    before = {url: queries_for(url) for url in urls}
    for _count in range(3):
        session = make_session(days=(dt.date(2031, 3, 2), dt.date(2031, 3, 3)))
        registration = enrol(session, member=new_member(), pattern=[True, True])
        certificates.issue_certificate(registration=registration, by=persona("manager"))
    assert {url: queries_for(url) for url in urls} == before
