"""REST API of individual coaching: each endpoint for the roles allowed, 404 outside the scope, 403 with
the policy's reason, bad input answered 400 with the service's message, a stale report 409 with its
message, and the OpenAPI schema."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from mourafaka.accounts.models import Assignment, Role, User
from mourafaka.coaching.models import (
    Coach,
    Contract,
    Deliverable,
    DeliverableKind,
    Engagement,
    Provider,
    ProviderStaff,
    Visit,
)
from mourafaka.cooperatives.models import Cooperative, Member
from mourafaka.diagnostics.models import DevelopmentAction
from mourafaka.programmes.models import Enrolment
from mourafaka.territory.models import Region

_serial = itertools.count(1)
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def api_for(persona):
    def make(key_or_user) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        user = key_or_user if isinstance(key_or_user, User) else persona(key_or_user)
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def engagement(safi_enrolment) -> Engagement:
    """The demo coaching of SAF-2022-0088 by the demo coach (visits 1–2 confirmed, 3 submitted, 4 planned
    today, the rest planned)."""
    return Engagement.objects.get(enrolment=safi_enrolment, status=Engagement.Status.ACTIVE)


@pytest.fixture
def first_visit(engagement) -> Visit:
    """The first visit whose report is still to be written."""
    return engagement.visits.filter(status=Visit.Status.PLANNED).order_by("number").first()


@pytest.fixture
def marrakech():
    """MAR-2022-0141: a beneficiary of the tranche without coaching yet (delegation of Marrakech)."""
    return Enrolment.objects.get(cooperative__registration_number="MAR-2022-0141", edition__code="tranche-4")


def start(api_for, enrolment, coach, **fields) -> Engagement:
    started = api_for("manager").post(
        "/api/v1/coaching-engagements/",
        {"enrolment": enrolment.pk, "coach": coach.pk, **fields},
        format="json",
    )
    assert started.status_code == 201, started.content
    return Engagement.objects.get(pk=started.json()["id"])


def other_coach(number: str = "BER-2022-0203") -> User:
    """A coach of another cooperative (an active coaching assignment there, none in Safi)."""
    user = User.objects.create_user(
        f"coach.api{next(_serial)}@example.org", full_name="Autre Coach", role=Role.COACH
    )
    Assignment.objects.create(
        user=user,
        cooperative=Cooperative.objects.get(registration_number=number),
        kind=Assignment.Kind.COACHING,
    )
    Coach.objects.create(user=user).regions.set(Region.objects.filter(code="07"))
    return user


def new_member(*, cin: str = "", phone: str = "") -> Member:
    cooperative = Cooperative.objects.get(registration_number="SAF-2022-0088")
    return Member.objects.create(
        cooperative=cooperative,
        region_id=cooperative.region_id,
        province_id=cooperative.province_id,
        full_name_fr=f"Membre Test {next(_serial)}",
        sex="F",
        cin=cin or None,
        phone=phone,
    )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    data = response.json()
    return {item["id"] for item in (data["results"] if isinstance(data, dict) else data)}


def detail(response) -> str:
    return " ".join(str(message) for message in response.json()["detail"])


def report(version: int, **fields) -> dict:
    return {
        "version": version,
        "held_on": TODAY.isoformat(),
        "duration_minutes": 90,
        "topics": "Ventes",
        **fields,
    }


def submitted(api_for, visit: Visit, **fields) -> Visit:
    answer = api_for("coach").post(
        f"/api/v1/coaching-visits/{visit.pk}/submit/", report(visit.version, **fields), format="json"
    )
    assert answer.status_code == 200, answer.content
    visit.refresh_from_db()
    return visit


# ---------------------------------------------------------------------------
# Coaches and suggestions


def test_coach_profiles_are_scoped(api_for, coach_profile):
    assert coach_profile.pk in ids(api_for("manager").get("/api/v1/coaches/"))
    assert coach_profile.pk in ids(api_for("delegate.safi").get("/api/v1/coaches/"))
    assert ids(api_for("coach").get("/api/v1/coaches/")) == {coach_profile.pk}
    assert api_for("delegate.guelmim").get(f"/api/v1/coaches/{coach_profile.pk}/").status_code == 404
    assert ids(api_for("cooperative").get("/api/v1/coaches/")) == set()
    assert api_for("manager").post("/api/v1/coaches/", {}).status_code == 403  # edited in the back office


def test_suggestions_for_a_beneficiary(api_for, marrakech, safi_enrolment, coach_profile):
    url = "/api/v1/coaching-suggestions/"
    rows = api_for("manager").get(url, {"enrolment": marrakech.pk}).json()
    mine = next(row for row in rows if row["coach"] == coach_profile.pk)
    assert mine["covers_region"] is True and mine["user"] == coach_profile.user_id
    assert api_for("delegate.safi").get(url, {"enrolment": marrakech.pk}).status_code == 404
    assert api_for("coach").get(url, {"enrolment": marrakech.pk}).status_code == 404
    refused = api_for("coach").get(url, {"enrolment": safi_enrolment.pk})
    assert refused.status_code == 403 and "organise coaching" in refused.json()["detail"]
    assert api_for("manager").get(url).status_code == 400


# ---------------------------------------------------------------------------
# Engagements


def test_an_engagement_is_started_with_its_visit_plan(api_for, marrakech, coach_profile):
    engagement = start(api_for, marrakech, coach_profile.user, starts_on="2026-01-05")
    data = api_for("manager").get(f"/api/v1/coaching-engagements/{engagement.pk}/").json()
    assert data["visits_planned"] == 12 and data["months"] == 24 and data["status"] == "active"
    assert [change["coach"] for change in data["coach_changes"]] == [engagement.coach_id]
    visits = api_for("manager").get("/api/v1/coaching-visits/", {"engagement": engagement.pk}).json()
    assert visits["count"] == 12 and [v["number"] for v in visits["results"]] == list(range(1, 13))

    twice = api_for("manager").post(
        "/api/v1/coaching-engagements/",
        {"enrolment": engagement.enrolment_id, "coach": engagement.coach_id},
        format="json",
    )
    assert twice.status_code == 400 and "already has an active coaching engagement" in detail(twice)


def test_engagements_are_scoped(api_for, engagement):
    url = f"/api/v1/coaching-engagements/{engagement.pk}/"
    for key in ("manager", "delegate.safi", "coach", "cooperative"):
        assert api_for(key).get(url).status_code == 200, key
    assert api_for("delegate.guelmim").get(url).status_code == 404
    assert engagement.pk not in ids(api_for("delegate.guelmim").get("/api/v1/coaching-engagements/"))
    assert api_for(other_coach()).get(url).status_code == 404


def test_only_organisers_start_an_engagement(api_for, marrakech, safi_enrolment, coach_profile, persona):
    payload = {"enrolment": marrakech.pk, "coach": persona("coach").pk}
    refused = api_for("coach").post(
        "/api/v1/coaching-engagements/", {**payload, "enrolment": safi_enrolment.pk}, format="json"
    )
    assert refused.status_code == 403 and "organise coaching" in refused.json()["detail"]
    outside = api_for("delegate.safi").post("/api/v1/coaching-engagements/", payload, format="json")
    assert outside.status_code == 400 and "enrolment" in outside.json()


def test_reassignment_keeps_the_history(api_for, engagement):
    newcomer = other_coach()
    url = f"/api/v1/coaching-engagements/{engagement.pk}/reassign/"
    assert api_for("delegate.guelmim").post(url, {"coach": newcomer.pk, "reason": "x"}).status_code == 404
    refused = api_for("coach").post(url, {"coach": newcomer.pk, "reason": "x"})
    assert refused.status_code == 403
    without_reason = api_for("manager").post(url, {"coach": newcomer.pk, "reason": ""})
    assert without_reason.status_code == 400

    moved = api_for("delegate.safi").post(url, {"coach": newcomer.pk, "reason": "Congé"})
    assert moved.status_code == 200, moved.content
    data = moved.json()
    assert data["coach"] == newcomer.pk
    assert [change["coach"] for change in data["coach_changes"]][-2:] == [engagement.coach_id, newcomer.pk]
    # The new coach sees every earlier visit.
    earlier = set(engagement.visits.values_list("pk", flat=True))
    assert ids(api_for(newcomer).get("/api/v1/coaching-visits/", {"engagement": engagement.pk})) == earlier
    suggestions = api_for("manager").get(f"/api/v1/coaching-engagements/{engagement.pk}/suggestions/")
    assert suggestions.status_code == 200 and newcomer.pk not in {row["user"] for row in suggestions.json()}


def test_the_coach_s_week_on_a_phone(api_for, engagement):
    today = list(engagement.visits.filter(planned_on=TODAY).values_list("pk", flat=True))
    assert today  # the demo plans a visit today
    week = ids(api_for("coach").get("/api/v1/coaching-visits/", {"week": "true"}))
    assert set(today) <= week
    assert all(
        row["engagement_coach"] == engagement.coach_id
        for row in api_for("coach").get("/api/v1/coaching-visits/", {"week": "true"}).json()["results"]
    )


# ---------------------------------------------------------------------------
# The visit plan


def test_the_plan_is_edited_by_organisers(api_for, engagement):
    visit = engagement.visits.filter(status=Visit.Status.PLANNED).order_by("number").last()
    url = f"/api/v1/coaching-visits/{visit.pk}/"
    moved = api_for("delegate.safi").patch(url, {"planned_on": (visit.planned_on + dt.timedelta(days=2))})
    assert moved.status_code == 200, moved.content
    assert moved.json()["planned_on"] == (visit.planned_on + dt.timedelta(days=2)).isoformat()
    assert api_for("coach").patch(url, {"theme": "x"}).status_code == 403
    assert api_for("delegate.guelmim").patch(url, {"theme": "x"}).status_code == 404
    assert api_for("manager").put(url, {"theme": "x"}).status_code == 405

    beyond = {"engagement": engagement.pk, "planned_on": (TODAY + dt.timedelta(days=800)).isoformat()}
    refused = api_for("manager").post("/api/v1/coaching-visits/", beyond)
    assert refused.status_code == 400 and "A visit beyond the plan needs a reason." in str(refused.json())
    added = api_for("manager").post("/api/v1/coaching-visits/", {**beyond, "reason": "Besoin urgent"})
    assert added.status_code == 201 and added.json()["number"] == engagement.visits_planned + 1

    cancelled = api_for("manager").post(
        f"/api/v1/coaching-visits/{added.json()['id']}/cancel/", {"reason": "x"}
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


# ---------------------------------------------------------------------------
# Reports


def test_a_draft_from_a_stale_version_is_refused_with_409(api_for, first_visit):
    url = f"/api/v1/coaching-visits/{first_visit.pk}/draft/"
    saved = api_for("coach").post(
        url, {"version": first_visit.version, "topics": "Premier jet"}, format="json"
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == first_visit.version + 1 and saved.json()["status"] == "draft"

    stale = api_for("coach").post(
        url, {"version": first_visit.version, "topics": "Autre texte"}, format="json"
    )
    assert stale.status_code == 409
    assert "Someone else saved this report since you opened it" in detail(stale)
    assert stale.json()["current_version"] == first_visit.version + 1
    first_visit.refresh_from_db()
    assert first_visit.topics == "Premier jet"  # nothing overwritten


def test_bad_reports_are_refused_with_the_reason(api_for, first_visit):
    url = f"/api/v1/coaching-visits/{first_visit.pk}/draft/"
    version = first_visit.version
    future = api_for("coach").post(
        url, {"version": version, "held_on": (TODAY + dt.timedelta(days=3)).isoformat()}, format="json"
    )
    assert future.status_code == 400
    assert future.json()["held_on"] == ["The visit date cannot be in the future."]
    assert api_for("coach").post(url, {"topics": "x"}, format="json").status_code == 400  # no version

    refused = api_for("manager").post(url, {"version": version, "topics": "x"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only the coach of this cooperative writes its visit reports."
    for outsider in ("delegate.guelmim", other_coach()):
        assert (
            api_for(outsider).post(url, {"version": version, "topics": "x"}, format="json").status_code == 404
        )
        assert api_for(outsider).get(f"/api/v1/coaching-visits/{first_visit.pk}/").status_code == 404


def test_members_present_are_masked_per_role(api_for, first_visit):
    member = new_member(cin="JB445566", phone="+212612345678")
    saved = api_for("coach").post(
        f"/api/v1/coaching-visits/{first_visit.pk}/draft/",
        {"version": first_visit.version, "members_present": [member.pk]},
        format="json",
    )
    assert saved.status_code == 200, saved.content
    as_coach = saved.json()["members_present"][0]
    assert as_coach["cin"] == "JB••••66" and as_coach["phone"] == "+212612345678"
    as_manager = api_for("manager").get(f"/api/v1/coaching-visits/{first_visit.pk}/").json()
    assert as_manager["members_present"][0]["cin"] == "JB445566"


def test_submit_moves_the_plan_and_the_cooperative_acknowledges_once(api_for, first_visit, safi_enrolment):
    action = (
        DevelopmentAction.objects.filter(objective__diagnostic__enrolment=safi_enrolment, progress__lt=40)
        .exclude(status="done")
        .first()
    )
    progress = [{"action": action.pk, "status": "in_progress", "progress": 40, "comment": "Bon départ"}]
    visit = submitted(api_for, first_visit, actions=progress)
    assert visit.status == Visit.Status.SUBMITTED
    action.refresh_from_db()
    assert action.progress == 40 and action.status == "in_progress"
    shown = api_for("coach").get(f"/api/v1/coaching-visits/{visit.pk}/").json()
    assert shown["actions"][0]["progress"] == 40

    # The same submit sent again after a lost answer is answered with the visit.
    again = api_for("coach").post(
        f"/api/v1/coaching-visits/{visit.pk}/submit/",
        report(visit.version - 1, actions=progress),
        format="json",
    )
    assert again.status_code == 200, again.content

    url = f"/api/v1/coaching-visits/{visit.pk}/acknowledge/"
    refused = api_for("coach").post(url)
    assert refused.status_code == 403 and "representative" in refused.json()["detail"]
    confirmed = api_for("cooperative").post(url)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["acknowledged_via"] == "portal"
    twice = api_for("cooperative").post(url)
    assert twice.status_code == 400 and detail(twice) == "This visit is already acknowledged."


def test_acknowledgement_with_a_one_time_code(api_for, first_visit, monkeypatch):
    visit = submitted(api_for, first_visit)
    monkeypatch.setattr("mourafaka.coaching.reports.secrets.randbelow", lambda limit: 123456)
    sent = api_for("coach").post(f"/api/v1/coaching-visits/{visit.pk}/send-code/", {"phone": "0612345678"})
    assert sent.status_code == 200, sent.content
    assert sent.json()["sent_to"] == "+212612345678" and sent.json()["expires_at"]
    assert api_for("cooperative").post(f"/api/v1/coaching-visits/{visit.pk}/send-code/").status_code == 403

    url = f"/api/v1/coaching-visits/{visit.pk}/acknowledge-with-code/"
    wrong = api_for("coach").post(url, {"code": "000000"})
    assert wrong.status_code == 400 and wrong.json()["code"] == ["This code is not valid."]
    right = api_for("coach").post(url, {"code": "123456"})
    assert right.status_code == 200 and right.json()["acknowledged_via"] == "sms"
    used = api_for("coach").post(url, {"code": "123456"})
    assert used.status_code == 400


def test_attachments_of_a_report(api_for, first_visit):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/api/v1/coaching-visits/{first_visit.pk}/attachments/"
    fake = SimpleUploadedFile("photo.jpg", b"not an image", content_type="image/jpeg")
    refused = api_for("coach").post(url, {"kind": "photo", "file": fake}, format="multipart")
    assert refused.status_code == 400 and "not a JPEG file" in detail(refused)
    assert api_for("coach").get(url).json() == []


# ---------------------------------------------------------------------------
# Overdue visits and counts


def test_overdue_visits_and_their_counts(api_for, marrakech, coach_profile, persona):
    engagement = start(api_for, marrakech, coach_profile.user, starts_on="2023-01-02")
    late = set(engagement.visits.values_list("pk", flat=True))

    listed = api_for("manager").get("/api/v1/coaching-overdue/")
    assert late <= ids(listed) and all(row["overdue"] for row in listed.json())
    mine = ids(api_for("coach").get("/api/v1/coaching-overdue/", {"coach": persona("coach").pk}))
    assert late <= mine
    assert not late & ids(api_for("delegate.safi").get("/api/v1/coaching-overdue/"))
    assert not late & ids(api_for(other_coach()).get("/api/v1/coaching-overdue/"))
    assert api_for("cooperative").get("/api/v1/coaching-overdue/").status_code == 403
    assert api_for("manager").get("/api/v1/coaching-overdue/", {"region": "nowhere"}).status_code == 400

    counts = api_for("manager").get("/api/v1/coaching-overdue/counts/").json()
    assert counts["total"] >= len(late)
    row = next(row for row in counts["by_coach"] if row["id"] == persona("coach").pk)
    assert row["name"] == persona("coach").full_name and row["count"] >= len(late)
    assert api_for("delegate.safi").get("/api/v1/coaching-overdue/counts/").json()["total"] < counts["total"]
    assert api_for("coach").get("/api/v1/coaching-overdue/counts/").status_code == 403


def test_coaching_counts(api_for, first_visit):
    member = new_member()
    submitted(api_for, first_visit, members_present=[member.pk])
    region = Region.objects.get(code="07")
    data = api_for("manager").get("/api/v1/coaching-counts/").json()
    assert set(first_visit.members_present.all()) == {member}
    assert data["visits_held"] >= 1 and data["members_coached"] >= 1 and data["cooperatives_coached"] >= 1
    assert api_for("delegate.safi").get("/api/v1/coaching-counts/").status_code == 400
    assert api_for("delegate.safi").get("/api/v1/coaching-counts/", {"region": region.pk}).status_code == 200
    assert (
        api_for("delegate.guelmim").get("/api/v1/coaching-counts/", {"region": region.pk}).status_code == 400
    )
    for key in ("coach", "cooperative", "observer"):
        assert api_for(key).get("/api/v1/coaching-counts/").status_code == 403


# ---------------------------------------------------------------------------
# Providers, contracts, deliverables


@pytest.fixture
def provider(api_for, persona) -> Provider:
    created = api_for("manager").post(
        "/api/v1/providers/", {"name": "Association Tanmia Test", "kind": "association"}, format="json"
    )
    assert created.status_code == 201, created.content
    return Provider.objects.get(pk=created.json()["id"])


@pytest.fixture
def contract(api_for, provider) -> Contract:
    region = Region.objects.get(code="07")
    payload = {
        "provider": provider.pk, "reference": "AO-2025-07", "lot": "Lot Marrakech-Safi", "regions": [region.pk],
        "starts_on": "2024-01-01", "ends_on": "2027-12-31", "ceiling_mad": "100000.00",
        "prices": [{"kind": DeliverableKind.VISIT_CONFIRMED, "price_mad": "1500.00"}],
    }  # fmt: skip
    created = api_for("manager").post("/api/v1/contracts/", payload, format="json")
    assert created.status_code == 201, created.content
    return Contract.objects.get(pk=created.json()["id"])


def test_providers_and_their_staff(api_for, provider, persona):
    url = f"/api/v1/providers/{provider.pk}/"
    added = api_for("manager").post(f"{url}staff/", {"user": persona("coach").pk, "function": "coach"})
    assert added.status_code == 201, added.content
    assert [row["user"] for row in added.json()["staff"]] == [persona("coach").pk]
    wrong_role = api_for("manager").post(f"{url}staff/", {"user": persona("trainer").pk, "function": "coach"})
    assert wrong_role.status_code == 400 and "another role" in str(wrong_role.json())

    assert provider.pk in ids(api_for("delegate.guelmim").get("/api/v1/providers/"))
    assert ids(api_for("coach").get("/api/v1/providers/")) >= {provider.pk}
    assert api_for("cooperative").get(url).status_code == 404
    refused = api_for("delegate.safi").patch(url, {"active": False}, format="json")
    assert refused.status_code == 403 and refused.json()["detail"] == "Only the head office can do this."
    taken = api_for("manager").post("/api/v1/providers/", {"name": provider.name}, format="json")
    assert taken.status_code == 400

    staff = ProviderStaff.objects.get(provider=provider)
    removed = api_for("manager").delete(f"{url}staff/{staff.pk}/")
    assert removed.status_code == 200 and removed.json()["staff"][0]["active"] is False


def test_contracts_keep_their_prices_when_patched(api_for, contract):
    url = f"/api/v1/contracts/{contract.pk}/"
    changed = api_for("manager").patch(url, {"lot": "Lot Safi"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["lot"] == "Lot Safi" and changed.json()["prices"][0]["price_mad"] == "1500.00"
    backwards = api_for("manager").patch(url, {"ends_on": "2023-01-01"}, format="json")
    assert backwards.status_code == 400 and "end date" in str(backwards.json())
    assert api_for("delegate.safi").patch(url, {"lot": "x"}, format="json").status_code == 403
    assert contract.pk in ids(api_for("delegate.safi").get("/api/v1/contracts/"))
    assert api_for("cooperative").get(url).status_code == 404


def test_deliverables_are_collected_reviewed_and_counted(api_for, contract, provider, first_visit, persona):
    ProviderStaff.objects.create(provider=provider, user=persona("coach"), function="coach")
    visit = submitted(api_for, first_visit)
    assert api_for("cooperative").post(f"/api/v1/coaching-visits/{visit.pk}/acknowledge/").status_code == 200

    collect = f"/api/v1/contracts/{contract.pk}/collect/"
    assert api_for("delegate.safi").post(collect).status_code == 403
    assert api_for("manager").post(collect).json()["count"] >= 1
    assert api_for("manager").post(collect).json() == {"count": 0}

    listed = api_for("manager").get(
        "/api/v1/deliverables/", {"contract": contract.pk, "kind": "visit_confirmed"}
    )
    deliverable = next(row for row in listed.json()["results"] if row["visit"] == visit.pk)
    assert deliverable["amount_mad"] == "1500.00" and deliverable["status"] == "delivered"
    Deliverable.objects.filter(contract=contract).exclude(pk=deliverable["id"]).delete()
    assert ids(api_for("delegate.safi").get("/api/v1/deliverables/", {"contract": contract.pk}))
    assert ids(api_for("cooperative").get("/api/v1/deliverables/")) == set()

    review = "/api/v1/deliverables/review/"
    refused = api_for("delegate.safi").post(
        review, {"deliverables": [deliverable["id"]], "status": "validated"}
    )
    assert refused.status_code == 403
    no_note = api_for("manager").post(
        review, {"deliverables": [deliverable["id"]], "status": "rejected"}, format="json"
    )
    assert no_note.status_code == 400 and "Say why" in str(no_note.json())
    unknown = api_for("manager").post(review, {"deliverables": [0], "status": "validated"}, format="json")
    assert unknown.status_code == 400
    validated = api_for("manager").post(
        review, {"deliverables": [deliverable["id"]], "status": "validated"}, format="json"
    )
    assert validated.json() == {"count": 1}
    assert Deliverable.objects.get(pk=deliverable["id"]).status == "validated"

    statement = api_for("delegate.safi").get(
        f"/api/v1/contracts/{contract.pk}/statement/", {"period": "quarter"}
    )
    data = statement.json()
    assert data["validated"] == 1 and data["amount_due"] == "1500.00" and data["ceiling_left"] == "98500.00"
    assert data["rows"][0]["period"].count("-Q") == 1
    assert (
        api_for("manager").get(f"/api/v1/contracts/{contract.pk}/statement/", {"period": "week"}).status_code
        == 400
    )

    sheet = api_for("manager").get(f"/api/v1/contracts/{contract.pk}/statement.xlsx", {"period": "quarter"})
    assert sheet.status_code == 200 and sheet["Content-Type"].startswith("application/vnd.openxml")
    assert sheet.content[:2] == b"PK" and "attachment" in sheet["Content-Disposition"]


# ---------------------------------------------------------------------------
# Schema


def test_the_schema_describes_the_coaching_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in (
        "/api/v1/coaches/", "/api/v1/coaching-engagements/{id}/reassign/", "/api/v1/coaching-suggestions/",
        "/api/v1/coaching-visits/{id}/draft/", "/api/v1/coaching-visits/{id}/acknowledge-with-code/",
        "/api/v1/coaching-visits/{id}/send-code/", "/api/v1/coaching-overdue/counts/", "/api/v1/coaching-counts/",
        "/api/v1/providers/{id}/staff/", "/api/v1/contracts/{id}/statement/", "/api/v1/deliverables/review/",
    ):  # fmt: skip
        assert path in paths
    draft = paths["/api/v1/coaching-visits/{id}/draft/"]["post"]["responses"]
    assert "409" in draft
    statement = paths["/api/v1/contracts/{id}/statement/"]["get"]["responses"]["200"]["content"]
    assert set(statement) == {
        "application/json",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    assert "CoachingVisitStatusEnum" in schema["components"]["schemas"]
